package dev.safelora.tensor;

import dev.safelora.files.StrictJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Every shard is opened and validated up front, and every
 * tensor must sit in the shard the index names. Pickle weights are never loaded.
 */
public final class Checkpoint implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    private static final List<String> PICKLE_SUFFIXES = List.of(".bin", ".pt", ".pth", ".ckpt", ".pkl");

    private final Path dir;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner;

    private Checkpoint(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> owner) {
        this.dir = dir;
        this.files = files;
        this.owner = owner;
    }

    /**
     * Opens a model directory (or a single {@code .safetensors} file).
     *
     * @throws CheckpointUnavailableException naming the directory when it is missing or holds no usable safetensors
     *     weights (only pickle weights, say)
     * @throws SafetensorsFormatException when a file or the index breaks the format
     */
    public static Checkpoint open(Path dir) {
        if (Files.isRegularFile(dir) && dir.getFileName().toString().endsWith(".safetensors")) {
            return single(dir, dir);
        }
        if (!Files.isDirectory(dir)) {
            throw new CheckpointUnavailableException(CheckpointUnavailableException.Reason.NOT_FOUND, dir + ": no such checkpoint directory");
        }
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return sharded(dir, index);
        }
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return single(dir, single);
        }
        for (Path named : List.of(index, single)) {
            if (Files.exists(named)) {
                // say what it is: "has model.safetensors but no model.safetensors" misleads, and opening a FIFO blocks
                throw new CheckpointUnavailableException(CheckpointUnavailableException.Reason.UNSUPPORTED_FORMAT, named
                        + ": not a regular file (" + (Files.isDirectory(named) ? "a directory" : "a FIFO, socket or device") + ")");
            }
        }
        List<String> listing = listing(dir);
        List<String> safetensors = listing.stream().filter(n -> n.endsWith(".safetensors")).toList();
        List<String> pickles = listing.stream().filter(Checkpoint::isPickle).toList();
        if (!safetensors.isEmpty()) {
            throw new CheckpointUnavailableException(CheckpointUnavailableException.Reason.UNSUPPORTED_FORMAT,
                    dir + ": has " + safetensors + " but neither " + SINGLE_FILE + " nor " + INDEX_FILE);
        }
        if (!pickles.isEmpty()) {
            throw new CheckpointUnavailableException(CheckpointUnavailableException.Reason.UNSUPPORTED_FORMAT, dir + ": holds only pickle weights " + pickles
                    + "; pickle files are refused because loading them can run arbitrary code (convert the checkpoint to safetensors)");
        }
        throw new CheckpointUnavailableException(CheckpointUnavailableException.Reason.UNSUPPORTED_FORMAT,
                dir + ": no " + SINGLE_FILE + " or " + INDEX_FILE + " found");
    }

    private static boolean isPickle(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return PICKLE_SUFFIXES.stream().anyMatch(lower::endsWith);
    }

    private static List<String> listing(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static Checkpoint single(Path dir, Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
        for (String name : f.names()) {
            owner.put(name, f);
        }
        return new Checkpoint(dir, List.of(f), Collections.unmodifiableMap(owner));
    }

    private static Checkpoint sharded(Path dir, Path index) {
        // Duplicate keys refused: two shards named for one tensor would make "which one" depend on the parser.
        JsonNode root = StrictJson.read(index);
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new IllegalArgumentException(index + ": missing \"weight_map\" object");
        }
        Map<String, String> shardOf = new LinkedHashMap<>();
        Set<String> shardNames = new LinkedHashSet<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException(index + ": shard of tensor \"" + e.getKey() + "\" must be a file name string");
            }
            String shard = e.getValue().textValue();
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..") || shard.equals(".")) {
                throw new IllegalArgumentException(index + ": tensor \"" + e.getKey() + "\" names shard \"" + shard
                        + "\", which is not a plain file name in the checkpoint directory");
            }
            shardOf.put(e.getKey(), shard);
            shardNames.add(shard);
        }
        Set<String> missingShards = new TreeSet<>();
        for (String shard : shardNames) {
            if (!Files.isRegularFile(dir.resolve(shard))) {
                missingShards.add(shard);
            }
        }
        if (!missingShards.isEmpty()) {
            throw new IllegalArgumentException(index + ": shard files missing: " + missingShards);
        }
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
            for (String shard : shardNames) {
                SafetensorsFile f = SafetensorsFile.open(dir.resolve(shard));
                opened.add(f);
                byShard.put(shard, f);
            }
            Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
            List<String> misplaced = new ArrayList<>();
            for (Map.Entry<String, String> e : shardOf.entrySet()) {
                SafetensorsFile f = byShard.get(e.getValue());
                if (!f.contains(e.getKey())) {
                    misplaced.add("\"" + e.getKey() + "\" (not in " + e.getValue() + ")");
                } else {
                    owner.put(e.getKey(), f);
                }
            }
            if (!misplaced.isEmpty()) {
                throw new IllegalArgumentException(index + ": tensors not where the index says: " + String.join(", ", misplaced));
            }
            return new Checkpoint(dir, List.copyOf(opened), Collections.unmodifiableMap(owner));
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    public Path path() {
        return dir;
    }

    /** The safetensors files of this checkpoint (one, or the shards in index order). */
    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).toList();
    }

    /** Tensor names (file order for one file, index order for shards). */
    public Set<String> names() {
        return owner.keySet();
    }

    public boolean contains(String name) {
        return owner.containsKey(name);
    }

    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    public ByteBuffer bytes(String name) {
        return file(name).bytes(name);
    }

    public float[] floats(String name) {
        return file(name).floats(name);
    }

    /** As {@link SafetensorsFile#floats(String, float[])}: into {@code reuse} when it has the tensor's length. */
    public float[] floats(String name, float[] reuse) {
        return file(name).floats(name, reuse);
    }

    /** As {@link SafetensorsFile#floats(String, long, float[], int, int)}: a range of a tensor's elements. */
    public void floats(String name, long from, float[] out, int offset, int count) {
        file(name).floats(name, from, out, offset, count);
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) {
            throw new IllegalArgumentException(dir + ": no tensor \"" + name + "\"");
        }
        return f;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
