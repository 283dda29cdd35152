package dev.safelora.adapter;

/**
 * The two factors of one LoRA module. The arrays are shared, not copied: treat them as immutable.
 *
 * @param module base-model module name without the PEFT prefix, e.g. {@code model.layers.3.self_attn.q_proj}
 * @param in input features (columns of the base weight)
 * @param out output features (rows of the base weight)
 * @param a {@code lora_A.weight}, r x in, row-major
 * @param b {@code lora_B.weight}, out x r, row-major
 */
public record LoraWeights(String module, int r, int in, int out, float[] a, float[] b) {

    public LoraWeights {
        if (module == null || module.isEmpty()) {
            throw new IllegalArgumentException("LoRA module name must not be empty");
        }
        if (r <= 0 || in <= 0 || out <= 0) {
            throw new IllegalArgumentException(module + ": LoRA dimensions must be positive (r=" + r + ", in=" + in + ", out=" + out + ")");
        }
        if (a.length != (long) r * in) {
            throw new IllegalArgumentException(module + ": lora_A must be r x in = " + r + " x " + in + ", has " + a.length + " values");
        }
        if (b.length != (long) out * r) {
            throw new IllegalArgumentException(module + ": lora_B must be out x r = " + out + " x " + r + ", has " + b.length + " values");
        }
    }

    /** The same module with a new B (out x r). */
    public LoraWeights withB(float[] newB) {
        return new LoraWeights(module, r, in, out, a, newB);
    }

    @Override
    public String toString() {
        return "LoraWeights[" + module + ", r=" + r + ", " + out + "x" + in + "]";
    }
}
