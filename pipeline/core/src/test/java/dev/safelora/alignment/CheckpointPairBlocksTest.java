package dev.safelora.alignment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.tensor.DType;
import dev.safelora.tensor.HalfFloats;
import dev.safelora.tensor.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** V of a module larger than one base-read block (1 Mi elements): computed block by block in parallel, as element by element. */
class CheckpointPairBlocksTest {

    private static final String W = "model.layers.0.self_attn.q_proj.weight";
    private static final int ROWS = 1500;
    private static final int COLS = 1024; // 1.46 Mi elements: one full block and a partial one

    @TempDir
    Path dir;

    @Test
    void vOfABf16ModuleSpanningSeveralBlocksEqualsTheElementwiseBf16Difference() throws IOException {
        Random rnd = new Random(11);
        short[] base = new short[ROWS * COLS];
        short[] aligned = new short[ROWS * COLS];
        for (int i = 0; i < base.length; i++) {
            float w = (float) rnd.nextGaussian() * 0.02f;
            base[i] = HalfFloats.floatToBf16(w);
            aligned[i] = HalfFloats.floatToBf16(w + (float) rnd.nextGaussian() * 0.002f);
        }
        try (CheckpointPair pair = pair(base, aligned)) {
            AlignmentMatrix v = pair.load("model.layers.0.self_attn.q_proj");
            double sum = 0;
            for (int i = 0; i < base.length; i++) {
                float d = HalfFloats.bf16ToFloat(aligned[i]) - HalfFloats.bf16ToFloat(base[i]);
                float expected = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(d));
                if (v.v()[i] != expected) {
                    throw new AssertionError("element " + i + ": " + v.v()[i] + " != " + expected);
                }
                sum += (double) expected * expected;
            }
            assertThat(v.frobeniusNorm()).isCloseTo(Math.sqrt(sum), org.assertj.core.data.Percentage.withPercentage(1e-10));
        }
    }

    @Test
    void theFirstNonFiniteElementIsNamedEvenInALaterBlock() throws IOException {
        short[] base = new short[ROWS * COLS];
        short[] aligned = new short[ROWS * COLS];
        int at = (1 << 20) + 12345;
        aligned[at] = HalfFloats.floatToBf16(Float.POSITIVE_INFINITY);
        aligned[at + 7] = HalfFloats.floatToBf16(Float.NaN);
        try (CheckpointPair pair = pair(base, aligned)) {
            assertThatThrownBy(() -> pair.load("model.layers.0.self_attn.q_proj"))
                    .isInstanceOf(CheckpointMismatchException.class)
                    .hasMessageContainingAll("\"" + W + "\"", "aligned checkpoint", "Infinity", "element " + at);
        }
    }

    private CheckpointPair pair(short[] base, short[] aligned) throws IOException {
        write(dir.resolve("base"), base);
        write(dir.resolve("aligned"), aligned);
        return CheckpointPair.open(dir.resolve("base"), dir.resolve("aligned"), Set.of("q_proj"));
    }

    private static void write(Path d, short[] bits) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short b : bits) {
            bytes.putShort(b);
        }
        new SafetensorsWriter().add(W, DType.BF16, new long[] {ROWS, COLS}, bytes.flip()).write(Files.createDirectories(d).resolve("model.safetensors"));
    }
}
