package dev.safelora.tensor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates the JSON header of a safetensors file against the size of its data area.
 * Every rule violation is a {@link SafetensorsFormatException} naming the file and, where there
 * is one, the tensor.
 */
final class SafetensorsHeader {

    /** Headers beyond this size are refused, as the reference implementation does. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper STRICT_JSON = new ObjectMapper(JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    final Map<String, String> metadata;
    /** Tensors in data order (by start offset; header order among equal offsets). */
    final List<TensorInfo> tensors;

    private SafetensorsHeader(Map<String, String> metadata, List<TensorInfo> tensors) {
        this.metadata = metadata;
        this.tensors = tensors;
    }

    static SafetensorsHeader parse(Path file, byte[] headerBytes, long dataAreaSize) {
        JsonNode root;
        try {
            root = STRICT_JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(file + ": header is not well-formed JSON (" + dev.safelora.files.StrictJson.describe(e)
                    + "); is this a safetensors file?");
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsFormatException(file + ": header must be a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (METADATA_KEY.equals(e.getKey())) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                tensors.add(readTensor(file, e.getKey(), e.getValue(), dataAreaSize));
            }
        }
        List<TensorInfo> ordered = new ArrayList<>(tensors);
        ordered.sort(Comparator.comparingLong(TensorInfo::dataStart).thenComparingLong(TensorInfo::dataEnd));
        long expected = 0;
        TensorInfo previous = null;
        for (TensorInfo t : ordered) {
            if (t.dataStart() < expected) {
                throw new SafetensorsFormatException(file + ": tensor \"" + t.name() + "\" at bytes [" + t.dataStart() + ", "
                        + t.dataEnd() + ") overlaps tensor \"" + previous.name() + "\" ending at " + expected);
            }
            if (t.dataStart() > expected) {
                throw new SafetensorsFormatException(file + ": gap of " + (t.dataStart() - expected) + " bytes before tensor \""
                        + t.name() + "\" (starts at " + t.dataStart() + ", previous data ends at " + expected + ")");
            }
            expected = t.dataEnd();
            previous = t;
        }
        if (expected != dataAreaSize) {
            String last = previous == null ? "the header" : "tensor \"" + previous.name() + "\"";
            throw new SafetensorsFormatException(file + ": " + (dataAreaSize - expected) + " bytes of data after " + last
                    + " are not covered by any tensor (data area is " + dataAreaSize + " bytes)");
        }
        return new SafetensorsHeader(Collections.unmodifiableMap(metadata), List.copyOf(ordered));
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> into) {
        if (!node.isObject()) {
            throw new SafetensorsFormatException(file + ": \"__metadata__\" must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsFormatException(file + ": \"__metadata__\" value for \"" + e.getKey() + "\" must be a string, got "
                        + e.getValue().getNodeType().toString().toLowerCase());
            }
            into.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo readTensor(Path file, String name, JsonNode node, long dataAreaSize) {
        String where = file + ": tensor \"" + name + "\"";
        if (!node.isObject()) {
            throw new SafetensorsFormatException(where + ": entry must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsFormatException(where + ": missing or non-string \"dtype\"");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dtypeNode.textValue());
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(where + ": " + e.getMessage());
        }
        long[] shape = longArray(where, node.get("shape"), "shape", -1);
        long[] offsets = longArray(where, node.get("data_offsets"), "data_offsets", 2);
        long start = offsets[0];
        long end = offsets[1];
        if (end < start) {
            throw new SafetensorsFormatException(where + ": data_offsets [" + start + ", " + end + "] end before they begin");
        }
        if (end > dataAreaSize) {
            throw new SafetensorsFormatException(where + ": data_offsets [" + start + ", " + end + "] lie outside the data area of "
                    + dataAreaSize + " bytes");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(TensorInfo.numel(shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(where + ": shape " + java.util.Arrays.toString(shape) + " overflows");
        }
        if (expectedBytes != end - start) {
            throw new SafetensorsFormatException(where + ": shape " + java.util.Arrays.toString(shape) + " x " + dtype + " needs "
                    + expectedBytes + " bytes but data_offsets [" + start + ", " + end + "] hold " + (end - start));
        }
        return new TensorInfo(name, dtype, shape, start, end);
    }

    private static long[] longArray(String where, JsonNode node, String field, int requiredLength) {
        if (node == null || !node.isArray()) {
            throw new SafetensorsFormatException(where + ": missing or non-array \"" + field + "\"");
        }
        if (requiredLength >= 0 && node.size() != requiredLength) {
            throw new SafetensorsFormatException(where + ": \"" + field + "\" must have " + requiredLength + " entries, has " + node.size());
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new SafetensorsFormatException(where + ": \"" + field + "\" entry " + v + " is not a non-negative integer");
            }
            values[i] = v.longValue();
        }
        return values;
    }

    /** Serializes a header: metadata first, then the tensors in the given order. */
    static byte[] serialize(Map<String, String> metadata, List<TensorInfo> tensors) {
        ObjectNode root = STRICT_JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            metadata.forEach(meta::put);
        }
        for (TensorInfo t : tensors) {
            ObjectNode entry = root.putObject(t.name());
            entry.put("dtype", t.dtype().safetensorsName());
            var shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(t.dataStart()).add(t.dataEnd());
        }
        try {
            return STRICT_JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Header bytes padded with spaces to {@code size} (a multiple of 8 at least as large as the JSON). */
    static byte[] padded(byte[] json, int size) {
        byte[] out = new byte[size];
        System.arraycopy(json, 0, out, 0, json.length);
        java.util.Arrays.fill(out, json.length, size, (byte) ' ');
        return out;
    }

    static int paddedSize(int jsonLength) {
        return (jsonLength + 7) & ~7;
    }
}
