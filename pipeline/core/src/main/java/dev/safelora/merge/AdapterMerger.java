package dev.safelora.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.tensor.Checkpoint;
import dev.safelora.tensor.DType;
import dev.safelora.tensor.Floats;
import dev.safelora.tensor.ShardedCheckpointWriter;
import dev.safelora.tensor.TensorInfo;
import dev.safelora.tensor.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a model directory whose weights are a base model's with a PEFT LoRA adapter merged in: every adapter module
 * {@code M} gets {@code M.weight + s B A}, {@code s} being the module's alpha over its rank (its rank's square root
 * with rsLoRA), {@code rank_pattern} and {@code alpha_pattern} honoured; every other tensor is copied. The product
 * is accumulated in double and rounded once to the output dtype. The directory's other files (config, tokenizer,
 * generation config, ...) are copied; pickle weights never are.
 */
public final class AdapterMerger {

    /** Hugging Face's default {@code max_shard_size} ("5GB"). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private static final List<String> WEIGHT_SUFFIXES = List.of(".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".pkl");

    /**
     * @param dtype the dtype of every float tensor written, or null to keep each tensor's own
     * @param maxShardBytes one file up to this size, shards with an index above it
     */
    public record Options(DType dtype, long maxShardBytes) {
        public Options {
            if (dtype != null && !dtype.isFloatingPoint()) {
                throw new IllegalArgumentException("a merged model can be written as F32, F16 or BF16, not " + dtype);
            }
            if (maxShardBytes <= 0) {
                throw new IllegalArgumentException("the shard size limit must be positive, got " + maxShardBytes);
            }
        }

        public static Options defaults() {
            return new Options(null, DEFAULT_MAX_SHARD_BYTES);
        }
    }

    /** What was written: the modules merged (natural order) and the weight files (index last when sharded). */
    public record Result(List<String> mergedModules, List<Path> weightFiles) {
    }

    private AdapterMerger() {
    }

    public static Result merge(Path modelDir, Path adapterDir, Path outDir, Options options) {
        PeftAdapter adapter = PeftAdapter.read(adapterDir);
        checkEmptyOutput(outDir);
        try (Checkpoint model = Checkpoint.open(modelDir)) {
            for (LoraWeights w : adapter.modules().values()) {
                String name = w.module() + ".weight";
                if (!model.contains(name)) {
                    throw new IllegalArgumentException(adapterDir + ": adapter module " + w.module() + " has no weight \"" + name
                            + "\" in " + modelDir);
                }
                TensorInfo info = model.info(name);
                if (info.rank() != 2 || info.dim(0) != w.out() || info.dim(1) != w.in()) {
                    throw new IllegalArgumentException(adapterDir + ": adapter module " + w.module() + " is " + w.out() + " x " + w.in()
                            + " but " + name + " in " + modelDir + " has shape " + Arrays.toString(info.shape()));
                }
                if (!info.dtype().isFloatingPoint()) {
                    throw new IllegalArgumentException(modelDir + ": " + name + " has dtype " + info.dtype() + "; only float weights can be merged");
                }
            }
            List<TensorSpec> plan = new ArrayList<>();
            for (String name : model.names()) {
                TensorInfo info = model.info(name);
                DType dtype = options.dtype() != null && info.dtype().isFloatingPoint() ? options.dtype() : info.dtype();
                plan.add(new TensorSpec(name, dtype, info.shape()));
            }
            Map<String, LoraWeights> modules = adapter.modules();
            List<Path> files = ShardedCheckpointWriter.write(outDir, plan, options.maxShardBytes(), spec -> {
                String name = spec.name();
                TensorInfo info = model.info(name);
                LoraWeights lora = name.endsWith(".weight") ? modules.get(name.substring(0, name.length() - ".weight".length())) : null;
                if (lora != null) {
                    return Floats.encode(merged(model.floats(name), lora, adapter.config().scale(lora.module())), spec.dtype());
                }
                if (spec.dtype() == info.dtype()) {
                    return model.bytes(name);
                }
                return Floats.encode(model.floats(name), spec.dtype());
            });
            copyOtherFiles(modelDir, outDir, options.dtype());
            return new Result(List.copyOf(modules.keySet()), files);
        }
    }

    /** {@code w + scale * b a} for an out x in weight, accumulated in double. */
    static float[] merged(float[] w, LoraWeights lora, double scale) {
        int out = lora.out();
        int in = lora.in();
        int r = lora.r();
        float[] a = lora.a();
        float[] b = lora.b();
        float[] result = new float[w.length];
        double[] row = new double[in];
        for (int i = 0; i < out; i++) {
            Arrays.fill(row, 0);
            for (int k = 0; k < r; k++) {
                double bik = b[i * r + k];
                int aRow = k * in;
                for (int j = 0; j < in; j++) {
                    row[j] += bik * a[aRow + j];
                }
            }
            for (int j = 0; j < in; j++) {
                result[i * in + j] = (float) (w[i * in + j] + scale * row[j]);
            }
        }
        return result;
    }

    private static void checkEmptyOutput(Path outDir) {
        if (!Files.exists(outDir)) {
            return;
        }
        if (!Files.isDirectory(outDir)) {
            throw new IllegalArgumentException(outDir + ": exists and is not a directory");
        }
        try (Stream<Path> s = Files.list(outDir)) {
            if (s.findAny().isPresent()) {
                throw new IllegalArgumentException(outDir + ": output directory is not empty");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(outDir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static void copyOtherFiles(Path modelDir, Path outDir, DType dtype) {
        if (Files.isRegularFile(modelDir)) {
            return; // a bare .safetensors file: nothing beside it belongs to the model
        }
        try (Stream<Path> s = Files.list(modelDir)) {
            for (Path file : s.filter(Files::isRegularFile).sorted().toList()) {
                String name = file.getFileName().toString();
                String lower = name.toLowerCase(Locale.ROOT);
                if (name.equals(Checkpoint.INDEX_FILE) || WEIGHT_SUFFIXES.stream().anyMatch(lower::endsWith)) {
                    continue;
                }
                if (name.equals("config.json") && dtype != null) {
                    writeConfigWithDtype(file, outDir.resolve(name), dtype);
                } else {
                    Files.copy(file, outDir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(modelDir + ": cannot copy the model's files: " + e.getMessage(), e);
        }
    }

    /** config.json with its {@code torch_dtype} (transformers 4) and {@code dtype} (5) naming the new storage dtype. */
    private static void writeConfigWithDtype(Path from, Path to, DType dtype) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode root = json.readTree(from.toFile());
        if (root instanceof ObjectNode object) {
            String name = switch (dtype) {
                case F16 -> "float16";
                case BF16 -> "bfloat16";
                default -> "float32";
            };
            if (object.has("dtype")) {
                object.put("dtype", name);
            }
            if (object.has("torch_dtype") || !object.has("dtype")) {
                object.put("torch_dtype", name);
            }
            Files.writeString(to, json.writerWithDefaultPrettyPrinter().writeValueAsString(object) + "\n");
        } else {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
