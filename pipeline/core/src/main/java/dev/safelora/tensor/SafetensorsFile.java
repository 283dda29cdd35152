package dev.safelora.tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.stream.IntStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file, validated in full when opened and read one tensor at a time.
 *
 * <p>{@link #bytes} maps just the tensor's byte range (so files beyond 2 GB work; a single tensor
 * beyond 2 GB is refused there), and {@link #floats} streams the range through a small buffer into
 * a float array, so reading a tensor never maps more than that tensor.
 */
public final class SafetensorsFile implements AutoCloseable {

    private static final int CHUNK = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final long dataOffset;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> byName;
    private final List<String> names;

    private SafetensorsFile(Path path, FileChannel channel, long dataOffset, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.dataOffset = dataOffset;
        this.metadata = header.metadata;
        Map<String, TensorInfo> map = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        for (TensorInfo t : header.tensors) {
            map.put(t.name(), t);
            order.add(t.name());
        }
        this.byName = Collections.unmodifiableMap(map);
        this.names = List.copyOf(order);
    }

    /**
     * Opens and validates a file: header length, JSON, dtypes, shapes against byte ranges,
     * offsets inside the data area, no overlaps and no gaps.
     *
     * @throws SafetensorsFormatException naming the file (and tensor) for any rule broken
     * @throws UncheckedIOException when the file cannot be read
     */
    public static SafetensorsFile open(Path path) {
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            // Opening a FIFO would block and a device would stream forever: say what it is instead.
            throw new IllegalArgumentException(path + ": not a regular file (" + (Files.isDirectory(path) ? "a directory"
                    : "a FIFO, socket or device") + "); a safetensors file is expected");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(path + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw new SafetensorsFormatException(path + ": file of " + size + " bytes is too short for the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength < 0 || headerLength > SafetensorsHeader.MAX_HEADER_BYTES) {
                // The value is not shown: in a file that is not safetensors it is the file's first eight bytes.
                throw new SafetensorsFormatException(path + ": the header length field exceeds the limit of "
                        + SafetensorsHeader.MAX_HEADER_BYTES + " bytes; is this a safetensors file?");
            }
            if (headerLength > size - 8) {
                throw new SafetensorsFormatException(path + ": the header length field exceeds the file size of "
                        + size + " bytes; is this a safetensors file?");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            SafetensorsHeader parsed = SafetensorsHeader.parse(path, header.array(), size - 8 - headerLength);
            return new SafetensorsFile(path, channel, 8 + headerLength, parsed);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The string map under {@code __metadata__} (empty when there is none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in file (data) order. */
    public List<String> names() {
        return names;
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    public TensorInfo info(String name) {
        TensorInfo info = byName.get(name);
        if (info == null) {
            throw new IllegalArgumentException(path + ": no tensor \"" + name + "\"");
        }
        return info;
    }

    /** Read-only little-endian view of the tensor's bytes, mapped from the file (no copy). */
    public ByteBuffer bytes(String name) {
        TensorInfo info = info(name);
        long length = info.byteLength();
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(path + ": tensor \"" + name + "\" has " + length
                    + " bytes; tensors over 2 GiB cannot be mapped into one buffer");
        }
        if (length == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataOffset + info.dataStart(), length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot map tensor \"" + name + "\": " + e.getMessage(), e);
        }
    }

    /** The tensor widened to float (F32, F16 or BF16 only), in row-major order. */
    public float[] floats(String name) {
        return floats(name, null);
    }

    /**
     * As {@link #floats(String)}, but into {@code reuse} when it has exactly the tensor's length (a
     * caller streaming equally shaped tensors keeps one array instead of allocating one per tensor);
     * returns the array it filled.
     */
    public float[] floats(String name, float[] reuse) {
        TensorInfo info = info(name);
        if (!info.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(path + ": tensor \"" + name + "\" has dtype " + info.dtype()
                    + "; only F32, F16 and BF16 can be read as floats");
        }
        long numel = info.numel();
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(path + ": tensor \"" + name + "\" has " + numel + " elements, too many for one float array");
        }
        float[] out = reuse != null && reuse.length == numel ? reuse : new float[(int) numel];
        int perChunk = CHUNK / info.dtype().byteSize();
        int chunks = (int) ((numel + perChunk - 1) / perChunk);
        // chunks are independent (positional reads into disjoint parts of out): large tensors are read on every core
        IntStream range = IntStream.range(0, chunks);
        (chunks >= PARALLEL_CHUNKS ? range.parallel() : range).forEach(c -> {
            int first = c * perChunk;
            floats(name, first, out, first, (int) Math.min(perChunk, numel - first));
        });
        return out;
    }

    /**
     * Elements {@code [from, from + count)} of a tensor (in row-major order) widened to float into
     * {@code out[offset..]}, read on the calling thread (callers reading disjoint ranges may do so in parallel).
     */
    public void floats(String name, long from, float[] out, int offset, int count) {
        TensorInfo info = info(name);
        if (!info.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(path + ": tensor \"" + name + "\" has dtype " + info.dtype()
                    + "; only F32, F16 and BF16 can be read as floats");
        }
        if (from < 0 || count < 0 || from + count > info.numel() || offset < 0 || offset + count > out.length) {
            throw new IndexOutOfBoundsException("elements " + from + "+" + count + " of \"" + name + "\" (" + info.numel()
                    + ") into " + offset + " of " + out.length);
        }
        int elementSize = info.dtype().byteSize();
        ByteBuffer chunk = CHUNK_BUFFER.get();
        short[] scratch = SCRATCH.get();
        long position = dataOffset + info.dataStart() + from * elementSize;
        int perChunk = CHUNK / elementSize;
        for (int done = 0; done < count; ) {
            int n = Math.min(perChunk, count - done);
            chunk.clear().limit(n * elementSize);
            try {
                readFully(channel, chunk, position);
            } catch (IOException e) {
                throw new UncheckedIOException(path + ": cannot read tensor \"" + name + "\": " + e.getMessage(), e);
            }
            chunk.flip();
            Floats.decode(info.dtype(), chunk, n, out, offset + done, scratch);
            position += (long) n * elementSize;
            done += n;
        }
    }

    /**
     * Reads the tensor's raw bytes from byte {@code offset} of the tensor into {@code into} (its
     * remaining bytes); safe to call from several threads at once. Reading costs a copy from the
     * page cache; mapping instead would cost page faults on first touch and keep every mapped tensor
     * in the resident set until its buffer is collected.
     */
    public void readBytes(String name, long offset, ByteBuffer into) {
        TensorInfo info = info(name);
        if (offset < 0 || offset + into.remaining() > info.byteLength()) {
            throw new IllegalArgumentException(path + ": bytes " + offset + ".." + (offset + into.remaining())
                    + " are outside tensor \"" + name + "\" of " + info.byteLength() + " bytes");
        }
        try {
            readFully(channel, into, dataOffset + info.dataStart() + offset);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot read tensor \"" + name + "\": " + e.getMessage(), e);
        }
    }

    /** Chunks from which {@link #floats} reads in parallel (8 MiB). */
    private static final int PARALLEL_CHUNKS = 8;

    /** One direct read buffer per thread: the channel reads into it without an intermediate copy, and it is never freed. */
    private static final ThreadLocal<ByteBuffer> CHUNK_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN));

    private static final ThreadLocal<short[]> SCRATCH = ThreadLocal.withInitial(() -> new short[CHUNK / 2]);

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            int n = channel.read(into, position);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + position);
            }
            position += n;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + names.size() + " tensors]";
    }
}
