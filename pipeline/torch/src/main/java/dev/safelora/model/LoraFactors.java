package dev.safelora.model;

/**
 * One module's LoRA factors as plain arrays: {@code a} is r x in (lora_A.weight), {@code b} is
 * out x r (lora_B.weight), both row-major; the update is {@code scale * B A}.
 */
public record LoraFactors(String module, int r, int in, int out, float[] a, float[] b, double scale) {
    public LoraFactors {
        if (a.length != (long) r * in || b.length != (long) out * r) {
            throw new IllegalArgumentException("LoRA factors for " + module + ": A must hold r*in=" + (long) r * in
                    + " values and B out*r=" + (long) out * r + ", got " + a.length + " and " + b.length);
        }
    }
}
