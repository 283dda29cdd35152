package dev.safelora.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One crafted file per rule of the format; each must be refused with the file and tensor named. */
class SafetensorsValidationTest {

    @TempDir
    Path dir;

    private Path file(String header, int dataBytes) throws IOException {
        return RawSafetensors.write(dir.resolve("bad.safetensors"), header, dataBytes);
    }

    private void assertRefused(Path file, String... fragments) {
        assertThatThrownBy(() -> SafetensorsFile.open(file).close())
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContainingAll(fragments);
    }

    @Test
    void acceptsAWellFormedFile() throws IOException {
        Path f = file("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[8,16]}}", 16);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.names()).containsExactly("a", "b");
            assertThat(sf.metadata()).containsEntry("format", "pt");
            assertThat(sf.info("b")).isEqualTo(new TensorInfo("b", DType.I64, new long[] {1, 1}, 8, 16));
        }
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertRefused(f, "too short");
    }

    @Test
    void headerLengthOverTheHundredMegabyteLimit() throws IOException {
        Path f = RawSafetensors.write(dir.resolve("huge.safetensors"), 100L * 1024 * 1024 + 1, "{}".getBytes(), new byte[0]);
        assertRefused(f, "header length", "limit");
    }

    @Test
    void negativeHeaderLengthIsOverTheLimit() throws IOException {
        Path f = RawSafetensors.write(dir.resolve("neg.safetensors"), -1L, "{}".getBytes(), new byte[0]);
        assertRefused(f, "header length field exceeds the limit");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        Path f = RawSafetensors.write(dir.resolve("cut.safetensors"), 1000, "{}".getBytes(), new byte[0]);
        assertRefused(f, "exceeds the file size");
    }

    @Test
    void malformedJson() throws IOException {
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",", 0), "not well-formed JSON");
    }

    @Test
    void trailingGarbageAfterTheJson() throws IOException {
        assertRefused(file("{} x", 0), "not well-formed JSON");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        String t = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertRefused(file("{\"a\":" + t + ",\"a\":" + t + "}", 4), "duplicate key at line 1");
    }

    @Test
    void headerThatIsNotAnObject() throws IOException {
        assertRefused(file("[1,2]", 0), "must be a JSON object");
    }

    @Test
    void unknownDtype() throws IOException {
        assertRefused(file("{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "tensor \"w\"", "unknown safetensors dtype \"Q4_K\"");
    }

    @Test
    void missingDtype() throws IOException {
        assertRefused(file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor \"w\"", "dtype");
    }

    @Test
    void shapeTimesDtypeSizeDiffersFromTheByteRange() throws IOException {
        assertRefused(file("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 8),
                "tensor \"w\"", "needs 12 bytes", "hold 8");
    }

    @Test
    void negativeOrFractionalDimensions() throws IOException {
        assertRefused(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0), "tensor \"w\"", "non-negative integer");
        assertRefused(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,1]}}", 1), "tensor \"w\"", "non-negative integer");
    }

    @Test
    void offsetsOutsideTheDataArea() throws IOException {
        assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "tensor \"w\"", "outside the data area");
    }

    @Test
    void offsetsThatEndBeforeTheyBegin() throws IOException {
        assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4), "tensor \"w\"", "end before they begin");
    }

    @Test
    void offsetsWithTheWrongNumberOfEntries() throws IOException {
        assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "tensor \"w\"", "must have 2 entries");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "tensor \"b\"", "overlaps tensor \"a\"");
    }

    @Test
    void gapBetweenTensors() throws IOException {
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "gap of 4 bytes before tensor \"b\"");
    }

    @Test
    void gapAtTheStart() throws IOException {
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "gap of 4 bytes before tensor \"a\"");
    }

    @Test
    void bytesAfterTheLastTensor() throws IOException {
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12), "8 bytes of data after tensor \"a\"");
    }

    @Test
    void metadataThatIsNotAStringMap() throws IOException {
        assertRefused(file("{\"__metadata__\":{\"epoch\":3}}", 0), "__metadata__", "\"epoch\" must be a string");
        assertRefused(file("{\"__metadata__\":[\"x\"]}", 0), "__metadata__", "object of strings");
    }

    @Test
    void unknownTensorNameAndNonFloatReadsNameFileAndTensor() throws IOException {
        Path f = file("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThatThrownBy(() -> sf.info("nope")).hasMessageContainingAll(f.toString(), "\"nope\"");
            assertThatThrownBy(() -> sf.floats("ids")).hasMessageContainingAll(f.toString(), "\"ids\"", "I64");
            assertThat(sf.bytes("ids").remaining()).isEqualTo(8);
        }
    }

    @Test
    void integerTensorsPassThroughAsLittleEndianBytes() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putInt(-1).putInt(1 << 20);
        Path f = dir.resolve("ints.safetensors");
        new SafetensorsWriter().add("i", DType.I32, new long[] {3}, data.flip()).write(f);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            ByteBuffer b = sf.bytes("i");
            assertThat(b.isReadOnly()).isTrue();
            assertThat(new int[] {b.getInt(0), b.getInt(4), b.getInt(8)}).containsExactly(7, -1, 1 << 20);
        }
    }

    @Test
    void filesBeyondTwoGigabytesReadPerTensorAndRefuseAnOversizedTensor() throws IOException {
        long big = 3L << 30;
        String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + big + "," + (big + 8) + "]}}";
        byte[] h = (header + " ".repeat((8 - header.length() % 8) % 8)).getBytes();
        Path f = dir.resolve("sparse.safetensors");
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
            ByteBuffer prefix = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).flip();
            ch.write(prefix, 0);
            ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).flip();
            ch.write(tail, 8 + h.length + big);
        }
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.floats("tail")).containsExactly(1.5f, -2f);
            assertThat(sf.bytes("tail").getFloat(4)).isEqualTo(-2f);
            assertThatThrownBy(() -> sf.bytes("big")).hasMessageContainingAll("\"big\"", "over 2 GiB");
        }
    }
}
