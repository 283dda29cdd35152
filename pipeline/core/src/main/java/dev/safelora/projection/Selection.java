package dev.safelora.projection;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which modules SafeLoRA projects, as PEFT's {@code apply_safelora} chooses them:
 * {@code THRESHOLD} projects every module with {@code cos <= threshold}; {@code TOP_K} exactly the
 * K modules with the lowest cosine (ties broken by module order); {@code EXPLICIT} the modules of
 * the given layers or with the given names. As in PEFT, the cosine is rounded to 5 decimals and
 * compared with tau in float32.
 */
public record Selection(Mode mode, double threshold, int topK, Set<Integer> layers, Set<String> modules) {

    public enum Mode {
        THRESHOLD("threshold"), TOP_K("top-k"), EXPLICIT("explicit");

        private final String cliName;

        Mode(String cliName) {
            this.cliName = cliName;
        }

        /** The name used on the command line and in reports, e.g. {@code top-k}. */
        public String cliName() {
            return cliName;
        }

        public static Mode fromCliName(String name) {
            for (Mode m : values()) {
                if (m.cliName.equalsIgnoreCase(name) || m.name().equalsIgnoreCase(name)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown selection mode \"" + name + "\" (threshold, top-k, explicit; or subspace on the command line)");
        }
    }

    public static final double DEFAULT_THRESHOLD = 0.5;

    public Selection {
        layers = layers == null ? Set.of() : Set.copyOf(layers);
        modules = modules == null ? Set.of() : Set.copyOf(modules);
        switch (mode) {
            case THRESHOLD -> {
                if (!Double.isFinite(threshold)) {
                    throw new IllegalArgumentException("threshold must be a finite number, got " + threshold);
                }
            }
            case TOP_K -> {
                if (topK < 0) {
                    throw new IllegalArgumentException("top-k needs K >= 0, got " + topK);
                }
            }
            case EXPLICIT -> {
                if (layers.isEmpty() == modules.isEmpty()) {
                    throw new IllegalArgumentException("explicit selection needs either layers or module names (one of the two)");
                }
                for (int layer : layers) {
                    if (layer < 0) {
                        throw new IllegalArgumentException("layer indices are non-negative, got " + layer);
                    }
                }
            }
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
    }

    public static Selection threshold(double tau) {
        return new Selection(Mode.THRESHOLD, tau, 0, null, null);
    }

    public static Selection topK(int k) {
        return new Selection(Mode.TOP_K, Double.NaN, k, null, null);
    }

    public static Selection layers(Set<Integer> layers) {
        return new Selection(Mode.EXPLICIT, Double.NaN, 0, layers, null);
    }

    public static Selection modules(Set<String> names) {
        return new Selection(Mode.EXPLICIT, Double.NaN, 0, null, names);
    }

    /** The sorted layer list, for reports. */
    public List<Integer> sortedLayers() {
        return List.copyOf(new TreeSet<>(layers));
    }
}
