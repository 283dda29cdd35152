package dev.safelora.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void writesPaddedHeaderMetadataAndTensorsInInsertionOrder() throws IOException {
        Path f = dir.resolve("t.safetensors");
        new SafetensorsWriter().metadata("format", "pt")
                .addFloats("z.weight", new long[] {2, 2}, new float[] {1, 2, 3, 4})
                .addFloats("a.weight", new long[] {3}, new float[] {1f, 0.1f, -2f}, DType.BF16)
                .addFloats("h", new long[] {2}, new float[] {1f / 3, 65504f}, DType.F16)
                .write(f);
        byte[] raw = Files.readAllBytes(f);
        long headerLength = ByteBuffer.wrap(raw, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLength % 8).isZero();
        String header = new String(raw, 8, (int) headerLength, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"z.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}");
        assertThat(header.strip()).endsWith("}");
        assertThat(header.substring(header.strip().length())).matches(" *");
        // data: F32 z, then bf16 bit patterns 0x3F80 0x3DCD 0xC000, then f16 0x3555 0x7BFF
        ByteBuffer data = ByteBuffer.wrap(raw, 8 + (int) headerLength, raw.length - 8 - (int) headerLength).slice().order(ByteOrder.LITTLE_ENDIAN);
        assertThat(data.getFloat(12)).isEqualTo(4f);
        assertThat(new int[] {data.getShort(16) & 0xFFFF, data.getShort(18) & 0xFFFF, data.getShort(20) & 0xFFFF})
                .containsExactly(0x3F80, 0x3DCD, 0xC000);
        assertThat(new int[] {data.getShort(22) & 0xFFFF, data.getShort(24) & 0xFFFF}).containsExactly(0x3555, 0x7BFF);

        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.names()).containsExactly("z.weight", "a.weight", "h");
            assertThat(sf.metadata()).isEqualTo(Map.of("format", "pt"));
            assertThat(sf.floats("z.weight")).containsExactly(1, 2, 3, 4);
            assertThat(sf.floats("a.weight")).containsExactly(1f, Float.intBitsToFloat(0x3DCD0000), -2f);
            assertThat(sf.floats("h")).containsExactly(HalfFloats.f16ToFloat((short) 0x3555), 65504f);
            assertThat(sf.info("h").shape()).containsExactly(2);
        }
    }

    @Test
    void writerRefusesInconsistentInput() {
        SafetensorsWriter w = new SafetensorsWriter().addFloats("a", new long[] {1}, new float[] {1});
        assertThatThrownBy(() -> w.addFloats("a", new long[] {1}, new float[] {1})).hasMessageContaining("added twice");
        assertThatThrownBy(() -> w.addFloats("b", new long[] {2}, new float[] {1})).hasMessageContaining("has 2 elements, data has 1");
        assertThatThrownBy(() -> w.add("c", DType.I32, new long[] {2}, ByteBuffer.allocate(4))).hasMessageContaining("needs 8 bytes");
        assertThatThrownBy(() -> w.addFloats("__metadata__", new long[] {1}, new float[] {1})).hasMessageContaining("reserved");
        assertThatThrownBy(() -> w.addFloats("d", new long[] {1}, new float[] {1}, DType.I8)).hasMessageContaining("F32, F16 or BF16");
    }

    @Test
    void streamWriterWritesOnlyTheAppendedSubsetOfThePlanAndLeavesNothingWhenAborted() throws IOException {
        Path f = dir.resolve("s.safetensors");
        List<TensorSpec> plan = List.of(new TensorSpec("a", DType.F32, new long[] {2}), new TensorSpec("b", DType.F32, new long[] {3}),
                new TensorSpec("c", DType.BF16, new long[] {1}));
        try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(f, Map.of("k", "v"), plan)) {
            w.appendFloats("c", new long[] {1}, new float[] {3f}, DType.BF16);
            w.appendFloats("a", new long[] {2}, new float[] {1f, 2f}, DType.F32);
            assertThatThrownBy(() -> w.appendFloats("x", new long[] {1}, new float[] {1f}, DType.F32)).hasMessageContaining("not planned");
            assertThatThrownBy(() -> w.appendFloats("b", new long[] {2}, new float[] {1f, 1f}, DType.F32)).hasMessageContaining("planned as");
            w.finish();
        }
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.names()).containsExactly("c", "a");
            assertThat(sf.floats("a")).containsExactly(1f, 2f);
            assertThat(sf.floats("c")).containsExactly(3f);
            assertThat(sf.metadata()).containsEntry("k", "v");
        }
        Path aborted = dir.resolve("aborted.safetensors");
        try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(aborted, Map.of(), plan)) {
            w.appendFloats("a", new long[] {2}, new float[] {1f, 2f}, DType.F32);
        }
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("s.safetensors");
        }
    }

    /**
     * A compact header is exactly as long as its JSON padded to 8 bytes (as Python's safetensors writes it), whether the
     * whole plan was appended (the header then written in place) or only its start (the data moved back); the tensors
     * must come in plan order.
     */
    @Test
    void aCompactHeaderIsTheJsonPaddedToEightWithTheWholePlanOrPartOfIt() throws IOException {
        List<TensorSpec> plan = List.of(new TensorSpec("a", DType.F32, new long[] {2}), new TensorSpec("b", DType.BF16, new long[] {3}),
                new TensorSpec("c", DType.F16, new long[] {1}));
        Path whole = dir.resolve("whole.safetensors");
        try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(whole, Map.of("format", "pt"), plan, true)) {
            assertThatThrownBy(() -> w.appendFloats("b", new long[] {3}, new float[] {1, 2, 3}, DType.BF16))
                    .hasMessageContaining("appended out of plan order");
            w.appendFloats("a", new long[] {2}, new float[] {1, 2}, DType.F32);
            w.appendFloats("b", new long[] {3}, new float[] {3, 4, 5}, DType.BF16);
            w.appendFloats("c", new long[] {1}, new float[] {6}, DType.F16);
            w.finish();
        }
        assertCompact(whole, 8 + 6 + 2, "a", "b", "c");
        Path part = dir.resolve("part.safetensors");
        try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(part, Map.of("format", "pt"), plan, true)) {
            w.appendFloats("a", new long[] {2}, new float[] {1, 2}, DType.F32);
            w.finish();
        }
        assertCompact(part, 8, "a");
        try (SafetensorsFile sf = SafetensorsFile.open(whole)) {
            assertThat(sf.floats("b")).containsExactly(3, 4, 5);
            assertThat(sf.floats("c")).containsExactly(6);
        }
    }

    private static void assertCompact(Path file, long dataBytes, String... names) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLength, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(headerLength).as("header of %s: %s", file, header).isEqualTo((header.strip().length() + 7) / 8 * 8);
        assertThat(bytes.length).isEqualTo(8 + headerLength + dataBytes);
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            assertThat(sf.names()).containsExactly(names);
        }
    }

    @Property(tries = 40)
    void anyTensorsSurviveAWriteAndRead(@ForAll @IntRange(min = 1, max = 5) int count, @ForAll long seed) throws IOException {
        Path f = Files.createTempFile("prop", ".safetensors");
        try {
            Random rnd = new Random(seed);
            DType[] types = {DType.F32, DType.F16, DType.BF16};
            SafetensorsWriter w = new SafetensorsWriter();
            float[][] expected = new float[count][];
            long[][] shapes = new long[count][];
            for (int i = 0; i < count; i++) {
                int rank = rnd.nextInt(4);
                long[] shape = new long[rank];
                int n = 1;
                for (int d = 0; d < rank; d++) {
                    shape[d] = rnd.nextInt(5);
                    n *= (int) shape[d];
                }
                float[] values = new float[n];
                for (int k = 0; k < n; k++) {
                    values[k] = (float) (rnd.nextGaussian() * 100);
                }
                DType t = types[rnd.nextInt(3)];
                w.addFloats("t" + i, shape, values, t);
                float[] stored = new float[n];
                for (int k = 0; k < n; k++) {
                    stored[k] = switch (t) {
                        case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(values[k]));
                        case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[k]));
                        default -> values[k];
                    };
                }
                expected[i] = stored;
                shapes[i] = shape;
            }
            w.metadata("seed", Long.toString(seed)).write(f);
            try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                assertThat(sf.metadata()).containsEntry("seed", Long.toString(seed));
                for (int i = 0; i < count; i++) {
                    assertThat(sf.floats("t" + i)).containsExactly(expected[i]);
                    assertThat(sf.info("t" + i).shape()).containsExactly(shapes[i]);
                }
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
