package dev.safelora.projection;

/**
 * What happens to the LoRA update of a selected module. The selection (which modules) is always
 * SafeLoRA's, by the paper's cosine; the remedy only decides the new {@code B}, so every remedy acts
 * on the same module set and their effects can be compared.
 * <ul>
 *   <li>{@code PROJECT}: SafeLoRA's {@code B := C B} with {@code C = V V^T / ||V||_F} (the default).
 *       C is not a projector (its eigenvalues are {@code sigma_i^2 / ||V||_F}) and can enlarge an update.</li>
 *   <li>{@code SUBSPACE}: {@code B := U_k U_k^T B}, the orthogonal projector onto the top-k left singular
 *       vectors of V; it never enlarges an update.</li>
 *   <li>{@code ZERO}: {@code B := 0}, the update of the module is dropped.</li>
 *   <li>{@code SHRINK}: {@code B := (||C B A||_F / ||B A||_F) B}, the update scaled isotropically to the
 *       Frobenius norm SafeLoRA's projection would give it, direction unchanged.</li>
 * </ul>
 */
public enum Remedy {
    PROJECT("project"), SUBSPACE("subspace"), ZERO("zero"), SHRINK("shrink");

    private final String cliName;

    Remedy(String cliName) {
        this.cliName = cliName;
    }

    /** The name on the command line and in reports. */
    public String cliName() {
        return cliName;
    }

    public static Remedy fromCliName(String name) {
        for (Remedy r : values()) {
            if (r.cliName.equalsIgnoreCase(name) || r.name().equalsIgnoreCase(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown remedy \"" + name + "\" (project, subspace, zero, shrink)");
    }
}
