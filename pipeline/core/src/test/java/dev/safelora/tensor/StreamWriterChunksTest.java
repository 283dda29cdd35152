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

    @Test
    void aTransposedAppendReadsBackAsTheTransposeInEveryDtype() {
        // 600 x 1000 spans several blocks of columns (436 per 2^18 values) with a ragged last one; 3 x 5 fits in one
        for (int[] shape : new int[][] {{600, 1000}, {3, 5}, {1, 300_000}}) {
            int rows = shape[0];
            int cols = shape[1];
            Random rnd = new Random(rows);
            float[] values = new float[rows * cols];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) rnd.nextGaussian();
            }
            Path f = dir.resolve("t" + rows + ".safetensors");
            long[] stored = {cols, rows};
            try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(f, Map.of(),
                    List.of(new TensorSpec("b", DType.BF16, stored), new TensorSpec("f", DType.F32, stored), new TensorSpec("h", DType.F16, stored)))) {
                w.appendTransposed("b", values, rows, cols, DType.BF16);
                w.appendTransposed("f", values, rows, cols, DType.F32);
                w.appendTransposed("h", values, rows, cols, DType.F16);
                w.finish();
            }
            try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                float[] b = sf.floats("b");
                float[] fl = sf.floats("f");
                float[] h = sf.floats("h");
                assertThat(sf.info("b").shape()).containsExactly(cols, rows);
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        float x = values[i * cols + j];
                        int t = j * rows + i;
                        if (fl[t] != x || b[t] != HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x)) || h[t] != HalfFloats.f16ToFloat(HalfFloats.floatToF16(x))) {
                            throw new AssertionError(rows + "x" + cols + " element " + i + "," + j + ": " + fl[t] + " " + b[t] + " " + h[t] + " for " + x);
                        }
                    }
                }
            }
        }
    }
}
