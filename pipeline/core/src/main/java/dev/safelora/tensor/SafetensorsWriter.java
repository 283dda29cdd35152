package dev.safelora.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a safetensors file in memory and writes it in one go: header padded with spaces to a
 * multiple of 8 bytes, tensors in insertion order. The file appears atomically (written to a
 * temporary sibling, then moved). For outputs larger than memory use {@link SafetensorsStreamWriter}.
 *
 * <p>Buffers passed to {@link #add} are kept by reference until {@link #write}; do not change them in between.
 */
public final class SafetensorsWriter {

    private record Entry(TensorSpec spec, ByteBuffer data) {
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    public SafetensorsWriter metadata(String key, String value) {
        if (key == null || value == null) {
            throw new IllegalArgumentException("metadata keys and values must not be null");
        }
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter add(String name, DType dtype, long[] shape, ByteBuffer littleEndianData) {
        TensorSpec spec = new TensorSpec(name, dtype, shape);
        if (!names.add(name)) {
            throw new IllegalArgumentException("tensor \"" + name + "\" added twice");
        }
        if (littleEndianData.remaining() != spec.byteLength()) {
            names.remove(name);
            throw new IllegalArgumentException("tensor \"" + name + "\": shape " + java.util.Arrays.toString(shape) + " x " + dtype
                    + " needs " + spec.byteLength() + " bytes, got " + littleEndianData.remaining());
        }
        entries.add(new Entry(spec, littleEndianData.duplicate().order(ByteOrder.LITTLE_ENDIAN)));
        return this;
    }

    /** Adds float data stored as F32. */
    public SafetensorsWriter addFloats(String name, long[] shape, float[] data) {
        return addFloats(name, shape, data, DType.F32);
    }

    /** Adds float data stored as F32, F16 or BF16 (round-to-nearest-even). */
    public SafetensorsWriter addFloats(String name, long[] shape, float[] data, DType storeAs) {
        if (!storeAs.isFloatingPoint()) {
            throw new IllegalArgumentException("tensor \"" + name + "\": floats can be stored as F32, F16 or BF16, not " + storeAs);
        }
        long numel = TensorInfo.numel(shape);
        if (numel != data.length) {
            throw new IllegalArgumentException("tensor \"" + name + "\": shape " + java.util.Arrays.toString(shape) + " has " + numel
                    + " elements, data has " + data.length);
        }
        return add(name, storeAs, shape, Floats.encode(data, storeAs));
    }

    public void write(Path file) {
        List<TensorSpec> specs = entries.stream().map(Entry::spec).toList();
        try (SafetensorsStreamWriter out = SafetensorsStreamWriter.create(file, metadata, specs, true)) {
            for (Entry e : entries) {
                out.append(e.spec(), e.data().duplicate());
            }
            out.finish();
        }
    }
}
