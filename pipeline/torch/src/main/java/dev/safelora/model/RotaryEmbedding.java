package dev.safelora.model;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Rotate-half rotary position embeddings (HF's {@code apply_rotary_pos_emb}): cos/sin tables of
 * shape [positions, headDim] with the frequencies repeated twice, grown on demand.
 */
final class RotaryEmbedding {

    private final double[] inverseFrequencies;
    private final int headDim;
    private final Device device;
    private final torch.ScalarType type;
    private Tensor cos;
    private Tensor sin;
    private int capacity;

    RotaryEmbedding(ModelConfig config, Device device, torch.ScalarType type) {
        this.inverseFrequencies = config.ropeScaling().inverseFrequencies(config.ropeTheta(), config.headDim());
        this.headDim = config.headDim();
        this.device = device;
        this.type = type;
    }

    /** cos and sin rows for positions {@code start .. start+length-1}, each [length, headDim]. */
    Tensor[] table(int start, int length) {
        int needed = start + length;
        if (needed > capacity) {
            grow(Math.max(needed, Math.max(64, capacity * 2)));
        }
        return new Tensor[] {cos.narrow(0, start, length), sin.narrow(0, start, length)};
    }

    /** cos and sin for per-row positions {@code positions} (int64 [B, T], on the model's device), each [B, 1, T, headDim]. */
    Tensor[] rows(Tensor positions, int maxPosition) {
        table(0, maxPosition + 1);
        Tensor flat = positions.reshape(-1);
        long b = positions.size(0);
        long t = positions.size(1);
        return new Tensor[] {cos.index_select(0, flat).view(b, 1, t, headDim), sin.index_select(0, flat).view(b, 1, t, headDim)};
    }

    private void grow(int positions) {
        int half = headDim / 2;
        float[] c = new float[positions * headDim];
        float[] s = new float[positions * headDim];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                // HF multiplies position by the fp32 inverse frequency; do the same rounding.
                double angle = (float) ((float) p * (float) inverseFrequencies[i]);
                float cv = (float) Math.cos(angle);
                float sv = (float) Math.sin(angle);
                c[p * headDim + i] = cv;
                c[p * headDim + i + half] = cv;
                s[p * headDim + i] = sv;
                s[p * headDim + i + half] = sv;
            }
        }
        close();
        try (PointerScope scope = new PointerScope()) {
            cos = Tensors.keep(Tensors.fromFloats(c, positions, headDim).to(device, type));
            sin = Tensors.keep(Tensors.fromFloats(s, positions, headDim).to(device, type));
        }
        capacity = positions;
    }

    void close() {
        if (cos != null) {
            cos.close();
            sin.close();
            cos = null;
            sin = null;
            capacity = 0;
        }
    }

    /** {@code x * cos + rotate_half(x) * sin} for x of shape [B, heads, T, headDim]. */
    static Tensor apply(Tensor x, Tensor cos, Tensor sin) {
        long half = x.size(-1) / 2;
        Tensor x1 = x.narrow(-1, 0, half);
        Tensor x2 = x.narrow(-1, half, half);
        Tensor rotated = torch.cat(new TensorVector(x2.neg(), x1), -1);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
