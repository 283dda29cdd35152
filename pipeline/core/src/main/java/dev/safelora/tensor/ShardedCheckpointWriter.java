package dev.safelora.tensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes the weights of a model directory the way Hugging Face's {@code save_pretrained} lays them out:
 * one {@code model.safetensors} when everything fits under the shard limit, otherwise
 * {@code model-00001-of-0000N.safetensors} shards (tensors in the given order, a new shard whenever the
 * next tensor would take the current one past the limit) and {@code model.safetensors.index.json}
 * ({@code metadata.total_size} and {@code weight_map}). Tensors are produced one at a time by the caller,
 * so the model never has to fit in memory.
 */
public final class ShardedCheckpointWriter {

    private ShardedCheckpointWriter() {
    }

    /** The tensors of each file to write; a single entry means no index. */
    public static List<List<TensorSpec>> plan(List<TensorSpec> tensors, long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("the shard size limit must be positive, got " + maxShardBytes);
        }
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long size = 0;
        for (TensorSpec t : tensors) {
            if (!current.isEmpty() && size + t.byteLength() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(t);
            size += t.byteLength();
        }
        shards.add(current);
        return shards;
    }

    /**
     * Writes {@code tensors} into {@code dir}, asking {@code data} for each tensor's little-endian bytes just
     * before it is written; returns the files written (the index last, when there is one).
     */
    public static List<Path> write(Path dir, List<TensorSpec> tensors, long maxShardBytes, Function<TensorSpec, ByteBuffer> data) {
        List<List<TensorSpec>> shards = plan(tensors, maxShardBytes);
        List<Path> written = new ArrayList<>();
        ObjectNode index = new ObjectMapper().createObjectNode();
        long totalSize = tensors.stream().mapToLong(TensorSpec::byteLength).sum();
        index.putObject("metadata").put("total_size", totalSize);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int s = 0; s < shards.size(); s++) {
            String name = shards.size() == 1 ? Checkpoint.SINGLE_FILE
                    : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
            Path file = dir.resolve(name);
            try (SafetensorsStreamWriter out = SafetensorsStreamWriter.create(file, Map.of("format", "pt"), shards.get(s), true)) {
                for (TensorSpec t : shards.get(s)) {
                    out.append(t, data.apply(t));
                    weightMap.put(t.name(), name);
                }
                out.finish();
            }
            written.add(file);
        }
        if (shards.size() > 1) {
            Path indexFile = dir.resolve(Checkpoint.INDEX_FILE);
            try {
                Files.writeString(indexFile, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(indexFile + ": cannot write: " + e.getMessage(), e);
            }
            written.add(indexFile);
        }
        return written;
    }
}
