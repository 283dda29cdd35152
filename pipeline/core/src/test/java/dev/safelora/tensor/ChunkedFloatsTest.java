package dev.safelora.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SafetensorsFile#floats(String, float[])} on tensors large enough to be read in parallel chunks. */
class ChunkedFloatsTest {

    @TempDir
    Path dir;

    @Test
    void parallelBf16AndF32ReadsEqualElementByElementDecodingAndFillTheGivenArray() {
        // 9 MiB of BF16 plus a ragged tail: more chunks than the parallel threshold, last chunk partial
        int n = (9 << 19) + 7;
        Random rnd = new Random(3);
        ByteBuffer bf16 = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
        short[] bits = new short[n];
        for (int i = 0; i < n; i++) {
            bits[i] = (short) rnd.nextInt(1 << 16);
            bf16.putShort(bits[i]);
        }
        float[] f32 = new float[(5 << 18) + 3];
        for (int i = 0; i < f32.length; i++) {
            f32[i] = (float) rnd.nextGaussian();
        }
        Path f = dir.resolve("big.safetensors");
        new SafetensorsWriter().add("w", DType.BF16, new long[] {n}, bf16.flip()).addFloats("x", new long[] {f32.length}, f32).write(f);

        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            float[] reuse = new float[n];
            float[] got = sf.floats("w", reuse);
            assertThat(got).isSameAs(reuse);
            for (int i = 0; i < n; i++) {
                // compare bits: NaN payloads must survive as well
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(HalfFloats.bf16ToFloat(bits[i]))) {
                    assertThat(got[i]).as("element %d", i).isEqualTo(HalfFloats.bf16ToFloat(bits[i]));
                }
            }
            float[] wrongSize = new float[3];
            float[] x = sf.floats("x", wrongSize);
            assertThat(x).isNotSameAs(wrongSize).hasSize(f32.length);
            assertThat(java.util.Arrays.mismatch(x, f32)).as("first differing F32 element").isEqualTo(-1);
            assertThat(java.util.Arrays.equals(sf.floats("w"), got)).isTrue();
        }
    }
}
