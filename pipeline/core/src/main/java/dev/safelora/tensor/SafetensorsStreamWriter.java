package dev.safelora.tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file one tensor at a time, so the output may be larger than memory.
 *
 * <p>The header comes first in the format but is only final once every tensor is known, so the
 * writer reserves room for the header of all <em>planned</em> tensors, streams the data after it,
 * and at {@link #finish} writes the header of the tensors actually appended (a subset of the plan,
 * in append order), padded with spaces to the reserved size, which the format allows. The file
 * is built as {@code <name>.partial} and moved into place by {@code finish}; closing without
 * finishing deletes it.
 */
public final class SafetensorsStreamWriter implements AutoCloseable {

    /** Stands in for the widest offset the real header can hold. */
    private static final long WIDE_OFFSET = 999_999_999_999_999_999L;

    private final Path target;
    private final Path partial;
    private final FileChannel channel;
    private final Map<String, String> metadata;
    /** The tensors planned and not yet appended, in plan order. */
    private final Map<String, TensorSpec> planned = new LinkedHashMap<>();
    private final List<TensorInfo> written = new ArrayList<>();
    private final int reservedHeader;
    private final boolean compactHeader;
    private long dataLength;

    /** Floats encoded per write by {@link #appendFloats}. */
    private static final int CHUNK = 1 << 18;

    /**
     * The writer's one direct buffer for {@link #appendFloats}, every chunk of every tensor (a chunk of the widest
     * dtype): no per-chunk array copy or heap buffer (which the channel would copy again), no buffer per tensor.
     */
    private ByteBuffer encoded;

    /** {@link #appendTransposed}'s block of transposed columns, reused for every tensor. */
    private float[] transposed;
    private boolean finished;

    private SafetensorsStreamWriter(Path target, Map<String, String> metadata, List<TensorSpec> plan, boolean compactHeader)
            throws IOException {
        this.target = target;
        this.partial = target.resolveSibling(target.getFileName() + ".partial");
        this.metadata = new LinkedHashMap<>(metadata);
        this.compactHeader = compactHeader;
        // a compact header is the final one of the whole plan in plan order (which compact writers must follow), so it is
        // written in place at finish; reserved for the widest offsets, it meant moving all the data back over the unused
        // room, a second write of the file. A plan left unfinished still gets a smaller header, and that move.
        List<TensorInfo> reserve = new ArrayList<>();
        long offset = 0;
        for (TensorSpec spec : plan) {
            if (planned.put(spec.name(), spec) != null) {
                throw new IllegalArgumentException("tensor \"" + spec.name() + "\" planned twice");
            }
            reserve.add(compactHeader ? new TensorInfo(spec.name(), spec.dtype(), spec.shape(), offset, offset + spec.byteLength())
                    : new TensorInfo(spec.name(), spec.dtype(), spec.shape(), WIDE_OFFSET, WIDE_OFFSET));
            offset += spec.byteLength();
        }
        int json = SafetensorsHeader.serialize(this.metadata, reserve).length;
        this.reservedHeader = SafetensorsHeader.paddedSize(json);
        if (reservedHeader > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException(target + ": header of " + reservedHeader + " bytes exceeds the format's limit");
        }
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, StandardOpenOption.READ);
    }

    /**
     * @param plan every tensor that may be appended (with its final dtype and shape)
     * @param compactHeader a header exactly as large as needed (as Python's safetensors writes it): the tensors must then
     *     be appended in plan order; otherwise the room reserved for the widest offsets stays as space padding
     */
    public static SafetensorsStreamWriter create(Path file, Map<String, String> metadata, List<TensorSpec> plan, boolean compactHeader) {
        try {
            return new SafetensorsStreamWriter(file, metadata, plan, compactHeader);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot create: " + e.getMessage(), e);
        }
    }

    public static SafetensorsStreamWriter create(Path file, Map<String, String> metadata, List<TensorSpec> plan) {
        return create(file, metadata, plan, false);
    }

    /** Appends one planned tensor; {@code data} holds exactly its little-endian bytes. */
    public void append(TensorSpec spec, ByteBuffer data) {
        checkPlanned(spec);
        if (data.remaining() != spec.byteLength()) {
            throw new IllegalArgumentException(target + ": tensor \"" + spec.name() + "\" needs " + spec.byteLength() + " bytes, got "
                    + data.remaining());
        }
        long start = dataLength;
        try {
            writeFully(data.duplicate(), 8L + reservedHeader + start);
        } catch (IOException e) {
            throw new UncheckedIOException(partial + ": cannot write tensor \"" + spec.name() + "\": " + e.getMessage(), e);
        }
        recordAppended(spec, start);
    }

    /** Appends float data stored as F32, F16 or BF16, encoded in small chunks (no second full-size copy). */
    public void appendFloats(String name, long[] shape, float[] values, DType storeAs) {
        TensorSpec spec = new TensorSpec(name, storeAs, shape);
        if (TensorInfo.numel(shape) != values.length) {
            throw new IllegalArgumentException(target + ": tensor \"" + name + "\" has shape " + java.util.Arrays.toString(shape)
                    + " but " + values.length + " values");
        }
        checkPlanned(spec);
        long start = dataLength;
        long position = 8L + reservedHeader + start;
        try {
            // the direct buffer even for small tensors: encoding floats into a heap buffer went element by element, and the
            // channel then copied it into a direct one (a 4 MiB adapter: 12 ms to encode, benchmarks/README.md)
            int needed = Math.min(CHUNK, values.length) * Float.BYTES;
            if (encoded == null || encoded.capacity() < needed) {
                encoded = ByteBuffer.allocateDirect(Math.max(needed, encoded == null ? 0 : encoded.capacity())).order(ByteOrder.LITTLE_ENDIAN);
            }
            for (int from = 0; from < values.length; from += CHUNK) {
                int n = Math.min(CHUNK, values.length - from);
                encoded.clear();
                Floats.encode(values, from, n, storeAs, encoded);
                position = writeFully(encoded.flip(), position);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(partial + ": cannot write tensor \"" + name + "\": " + e.getMessage(), e);
        }
        recordAppended(spec, start);
    }

    /**
     * Appends the transpose of a row-major {@code rows x cols} float matrix (a tensor of shape {@code [cols, rows]}) stored
     * as F32, F16 or BF16: a block of columns at a time is transposed into a chunk-sized array and encoded, so nothing
     * of the matrix's size is allocated.
     */
    public void appendTransposed(String name, float[] values, int rows, int cols, DType storeAs) {
        long[] shape = {cols, rows};
        TensorSpec spec = new TensorSpec(name, storeAs, shape);
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException(target + ": tensor \"" + name + "\" is " + rows + " x " + cols + " but has "
                    + values.length + " values");
        }
        checkPlanned(spec);
        long start = dataLength;
        long position = 8L + reservedHeader + start;
        int columnsPerChunk = Math.max(1, CHUNK / Math.max(1, rows));
        try {
            if (encoded == null || encoded.capacity() < columnsPerChunk * rows * Float.BYTES) {
                encoded = ByteBuffer.allocateDirect(columnsPerChunk * rows * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            }
            if (transposed == null || transposed.length < columnsPerChunk * rows) {
                transposed = new float[Math.max(CHUNK, columnsPerChunk * rows)];
            }
            for (int from = 0; from < cols; from += columnsPerChunk) {
                int to = Math.min(cols, from + columnsPerChunk);
                Floats.transposeColumns(values, rows, cols, from, to, transposed);
                encoded.clear();
                Floats.encode(transposed, 0, (to - from) * rows, storeAs, encoded);
                position = writeFully(encoded.flip(), position);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(partial + ": cannot write tensor \"" + name + "\": " + e.getMessage(), e);
        }
        recordAppended(spec, start);
    }

    private void recordAppended(TensorSpec spec, long start) {
        dataLength += spec.byteLength();
        written.add(new TensorInfo(spec.name(), spec.dtype(), spec.shape(), start, dataLength));
    }

    /** Writes all of {@code src} at {@code position}; returns the position after it. */
    private long writeFully(ByteBuffer src, long position) throws IOException {
        while (src.hasRemaining()) {
            position += channel.write(src, position);
        }
        return position;
    }

    private void checkPlanned(TensorSpec spec) {
        TensorSpec plan = planned.get(spec.name());
        if (plan == null) {
            throw new IllegalArgumentException(target + ": tensor \"" + spec.name() + "\" was not planned or is appended twice");
        }
        if (compactHeader && !planned.keySet().iterator().next().equals(spec.name())) {
            throw new IllegalArgumentException(target + ": tensor \"" + spec.name() + "\" appended out of plan order"
                    + " (a writer with a compact header takes the planned tensors in their order)");
        }
        planned.remove(spec.name());
        if (!plan.equals(spec)) {
            throw new IllegalArgumentException(target + ": tensor \"" + spec.name() + "\" planned as " + plan + ", appended as " + spec);
        }
    }

    /** The tensors appended so far, with their offsets. */
    public List<TensorInfo> written() {
        return List.copyOf(written);
    }

    /** Writes the header and moves the file into place. */
    public void finish() {
        byte[] json = SafetensorsHeader.serialize(metadata, written);
        try {
            if (compactHeader) {
                int size = SafetensorsHeader.paddedSize(json.length);
                writeHeader(SafetensorsHeader.padded(json, size));
                if (size < reservedHeader) {
                    long from = 8L + reservedHeader;
                    long to = 8L + size;
                    ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
                    for (long done = 0; done < dataLength; ) {
                        buffer.clear().limit((int) Math.min(buffer.capacity(), dataLength - done));
                        int n = channel.read(buffer, from + done);
                        writeFully(buffer.flip(), to + done);
                        done += n;
                    }
                    channel.truncate(to + dataLength);
                }
            } else {
                writeHeader(SafetensorsHeader.padded(json, reservedHeader));
            }
            channel.force(false);
            channel.close();
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            finished = true;
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot finish: " + e.getMessage(), e);
        }
    }

    private void writeHeader(byte[] header) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        writeFully(buffer.putLong(header.length).put(header).flip(), 0);
    }

    @Override
    public void close() {
        if (!finished) {
            try {
                channel.close();
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // best effort cleanup of an unfinished file
            }
        }
    }
}
