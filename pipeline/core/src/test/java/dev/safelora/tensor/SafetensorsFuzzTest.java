package dev.safelora.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Corrupting any byte of the header or its length either leaves a valid file or gives a format error: never anything else. */
class SafetensorsFuzzTest {

    @Property(tries = 300)
    void corruptedHeadersFailOnlyWithAFormatError(@ForAll @IntRange(min = 0, max = 400) int position, @ForAll byte value) throws IOException {
        Path f = Files.createTempFile("fuzz", ".safetensors");
        try {
            new SafetensorsWriter().metadata("format", "pt")
                    .addFloats("model.layers.0.w", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}, DType.BF16)
                    .add("ids", DType.I64, new long[] {2}, java.nio.ByteBuffer.allocate(16))
                    .addFloats("b", new long[] {1}, new float[] {7})
                    .write(f);
            byte[] bytes = Files.readAllBytes(f);
            int at = position % bytes.length;
            bytes[at] = value;
            Files.write(f, bytes);
            try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                for (String name : sf.names()) {
                    TensorInfo info = sf.info(name);
                    assertThat(sf.bytes(name).remaining()).isEqualTo(info.byteLength());
                    if (info.dtype().isFloatingPoint()) {
                        assertThat(sf.floats(name)).hasSize((int) info.numel());
                    }
                }
            } catch (SafetensorsFormatException e) {
                assertThat(e.getMessage()).contains(f.toString());
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
