package dev.safelora.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SafetensorsStreamWriter#appendFloats} on tensors written in several chunks (2^18 elements each), ragged tail included. */
class StreamWriterChunksTest {

    @TempDir
    Path dir;

    @Test
    void chunkedBf16AndF32TensorsReadBackAsTheirElementwiseEncoding() {
        int n = 3 * (1 << 18) + 5;
        Random rnd = new Random(5);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        Path f = dir.resolve("v.safetensors");
        long[] shape = {n};
        try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(f, Map.of(),
                List.of(new TensorSpec("b", DType.BF16, shape), new TensorSpec("f", DType.F32, shape)))) {
            w.appendFloats("b", shape, values, DType.BF16);
            w.appendFloats("f", shape, values, DType.F32);
            w.finish();
        }
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            float[] b = sf.floats("b");
            assertThat(java.util.Arrays.equals(sf.floats("f"), values)).as("F32 round trip").isTrue();
            for (int i = 0; i < n; i++) {
                float expected = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]));
                if (b[i] != expected) {
                    throw new AssertionError("element " + i + ": " + b[i] + " != " + expected);
                }
            }
        }
    }
}
