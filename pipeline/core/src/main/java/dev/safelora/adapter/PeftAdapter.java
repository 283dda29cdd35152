package dev.safelora.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.files.StrictJson;
import dev.safelora.tensor.DType;
import dev.safelora.tensor.NonFinite;
import dev.safelora.tensor.SafetensorsFile;
import dev.safelora.tensor.SafetensorsStreamWriter;
import dev.safelora.tensor.TensorInfo;
import dev.safelora.tensor.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A LoRA adapter directory in Hugging Face PEFT format: {@code adapter_config.json} plus
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module>.lora_A.weight} and
 * {@code ...lora_B.weight}. Reading keeps the original config fields and any non-LoRA tensors, so
 * writing a read adapter changes only what was changed.
 */
public final class PeftAdapter {

    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String KEY_PREFIX = "base_model.model.";
    private static final Pattern LORA_KEY = Pattern.compile("^base_model\\.model\\.(.+)\\.lora_([AB])\\.weight$");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A tensor of the adapter file that is not a LoRA factor (kept byte for byte). */
    private record OtherTensor(String name, DType dtype, long[] shape, byte[] data) {
    }

    private final LoraConfig config;
    private final Map<String, LoraWeights> modules;
    private final ObjectNode originalConfig;
    private final DType storage;
    private final List<OtherTensor> others;

    private PeftAdapter(LoraConfig config, Map<String, LoraWeights> modules, ObjectNode originalConfig, DType storage,
                        List<OtherTensor> others) {
        this.config = config;
        this.modules = modules;
        this.originalConfig = originalConfig;
        this.storage = storage;
        this.others = others;
    }

    /** A new adapter (stored as F32). */
    public static PeftAdapter of(LoraConfig config, Collection<LoraWeights> weights) {
        return new PeftAdapter(config, sorted(weights), null, DType.F32, List.of());
    }

    /** The same adapter (config, storage dtype, other tensors) with new module weights. */
    public PeftAdapter withModules(Collection<LoraWeights> weights) {
        return new PeftAdapter(config, sorted(weights), originalConfig, storage, others);
    }

    /** The same adapter (storage dtype, other tensors, unknown config fields) with another config and module weights. */
    public PeftAdapter withConfigAndModules(LoraConfig newConfig, Collection<LoraWeights> weights) {
        return new PeftAdapter(newConfig, sorted(weights), originalConfig, storage, others);
    }

    /** The same adapter stored in another float dtype (F32, F16 or BF16). */
    public PeftAdapter withStorage(DType dtype) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("LoRA weights can be stored as F32, F16 or BF16, not " + dtype);
        }
        return new PeftAdapter(config, modules, originalConfig, dtype, others);
    }

    private static Map<String, LoraWeights> sorted(Collection<LoraWeights> weights) {
        Map<String, LoraWeights> map = new TreeMap<>(ModuleNames.NATURAL_ORDER);
        for (LoraWeights w : weights) {
            if (map.put(w.module(), w) != null) {
                throw new IllegalArgumentException("LoRA module \"" + w.module() + "\" given twice");
            }
        }
        return Collections.unmodifiableMap(map);
    }

    public LoraConfig config() {
        return config;
    }

    /** Modules in natural order (layer index numerically). */
    public Map<String, LoraWeights> modules() {
        return modules;
    }

    /** The float dtype the weights are written in (that of the file read; F32 for new adapters). */
    public DType storage() {
        return storage;
    }

    public static PeftAdapter read(Path dir) {
        Path configFile = dir.resolve(CONFIG_FILE);
        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": no such adapter directory");
        }
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException(dir + ": not a PEFT adapter directory (no " + CONFIG_FILE + ")");
        }
        ObjectNode raw = readConfigJson(configFile);
        LoraConfig config = parseConfig(configFile, raw);
        if (!Files.isRegularFile(weightsFile)) {
            String hint = Files.exists(dir.resolve("adapter_model.bin"))
                    ? "; it has only the pickle adapter_model.bin, which is refused because loading pickle can run arbitrary code"
                    : "";
            throw new IllegalArgumentException(dir + ": no " + WEIGHTS_FILE + hint);
        }
        try (SafetensorsFile file = SafetensorsFile.open(weightsFile)) {
            return fromFile(file, config, raw);
        }
    }

    private static ObjectNode readConfigJson(Path configFile) {
        JsonNode node = StrictJson.read(configFile); // duplicate keys refused: which of two "r"s would PEFT take?
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(configFile + ": must hold a JSON object");
        }
        return (ObjectNode) node;
    }

    /**
     * The config, strictly: a field of the wrong JSON type is an error naming it, never a default ("abc" is not
     * lora_alpha 8, 8.9 is not r 8).
     */
    private static LoraConfig parseConfig(Path file, ObjectNode raw) {
        String peftType = optionalText(file, raw, "peft_type", "LORA");
        if (!"LORA".equals(peftType)) {
            throw new IllegalArgumentException(file + ": peft_type is not LORA; only LORA adapters are supported");
        }
        if (optionalBoolean(file, raw, "use_dora")) {
            throw new IllegalArgumentException(file + ": DoRA adapters (use_dora: true) are not supported: SafeLoRA projects plain LoRA"
                    + " updates, and a DoRA magnitude vector would rescale the projected update");
        }
        if (optionalBoolean(file, raw, "fan_in_fan_out")) {
            throw new IllegalArgumentException(file + ": fan_in_fan_out adapters (Conv1D weights stored transposed) are not supported");
        }
        JsonNode rNode = raw.get("r");
        if (rNode == null || !rNode.isIntegralNumber() || !rNode.canConvertToInt()) {
            throw new IllegalArgumentException(file + ": \"r\" must be a whole number" + (rNode == null ? " (missing)" : ", got a " + kind(rNode)));
        }
        List<String> targets = new ArrayList<>();
        JsonNode t = raw.get("target_modules");
        if (t != null && t.isArray()) {
            for (JsonNode n : t) {
                if (!n.isTextual()) {
                    throw new IllegalArgumentException(file + ": \"target_modules\" must hold strings, got a " + kind(n));
                }
                targets.add(n.textValue());
            }
        } else if (t != null && t.isTextual()) {
            targets.add(t.textValue());
        } else {
            throw new IllegalArgumentException(file + ": missing \"target_modules\" (a list of module names or one pattern string)");
        }
        JsonNode base = raw.get("base_model_name_or_path");
        if (base != null && !base.isNull() && !base.isTextual()) {
            throw new IllegalArgumentException(file + ": \"base_model_name_or_path\" must be a string, got a " + kind(base));
        }
        try {
            return new LoraConfig(rNode.intValue(), optionalNumber(file, raw, "lora_alpha", 8), optionalBoolean(file, raw, "use_rslora"),
                    targets, optionalNumber(file, raw, "lora_dropout", 0), base == null || base.isNull() ? null : base.textValue(), false,
                    pattern(file, raw, "rank_pattern", n -> n.isIntegralNumber() && n.canConvertToInt(), JsonNode::intValue),
                    pattern(file, raw, "alpha_pattern", JsonNode::isNumber, JsonNode::doubleValue));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    private static String kind(JsonNode node) {
        return node.isIntegralNumber() ? "whole number" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    private static double optionalNumber(Path file, ObjectNode raw, String field, double fallback) {
        JsonNode n = raw.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new IllegalArgumentException(file + ": \"" + field + "\" must be a number, got a " + kind(n));
        }
        double v = n.doubleValue();
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(file + ": \"" + field + "\" must be finite");
        }
        return v;
    }

    private static boolean optionalBoolean(Path file, ObjectNode raw, String field) {
        JsonNode n = raw.get(field);
        if (n == null || n.isNull()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw new IllegalArgumentException(file + ": \"" + field + "\" must be true or false, got a " + kind(n));
        }
        return n.booleanValue();
    }

    private static String optionalText(Path file, ObjectNode raw, String field, String fallback) {
        JsonNode n = raw.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException(file + ": \"" + field + "\" must be a string, got a " + kind(n));
        }
        return n.textValue();
    }

    /** A per-module override map ({@code rank_pattern} / {@code alpha_pattern}) in the file's key order; absent or null is empty. */
    private static <T> Map<String, T> pattern(Path file, ObjectNode raw, String field, Predicate<JsonNode> valid,
                                              Function<JsonNode, T> value) {
        JsonNode node = raw.get(field);
        Map<String, T> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(file + ": " + field + " must be an object of module pattern -> value, got a " + kind(node));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!valid.test(e.getValue())) {
                throw new IllegalArgumentException(file + ": " + field + "[" + e.getKey() + "] must be a "
                        + (field.equals("rank_pattern") ? "number (a whole rank)" : "number") + ", got a " + kind(e.getValue()));
            }
            out.put(e.getKey(), value.apply(e.getValue()));
        }
        return out;
    }

    private static PeftAdapter fromFile(SafetensorsFile file, LoraConfig config, ObjectNode raw) {
        Map<String, String> aKeys = new TreeMap<>(ModuleNames.NATURAL_ORDER);
        Map<String, String> bKeys = new TreeMap<>(ModuleNames.NATURAL_ORDER);
        List<OtherTensor> others = new ArrayList<>();
        for (String name : file.names()) {
            if (name.contains("lora_magnitude_vector")) {
                throw new IllegalArgumentException(file.path() + ": tensor \"" + name + "\" is a DoRA magnitude vector; DoRA adapters are not supported");
            }
            Matcher m = LORA_KEY.matcher(name);
            if (m.matches()) {
                (m.group(2).equals("A") ? aKeys : bKeys).put(m.group(1), name);
            } else {
                TensorInfo info = file.info(name);
                ByteBuffer bytes = file.bytes(name);
                byte[] copy = new byte[bytes.remaining()];
                bytes.get(copy);
                others.add(new OtherTensor(name, info.dtype(), info.shape(), copy));
            }
        }
        List<String> unpaired = new ArrayList<>();
        aKeys.keySet().stream().filter(k -> !bKeys.containsKey(k)).forEach(k -> unpaired.add(k + " (no lora_B)"));
        bKeys.keySet().stream().filter(k -> !aKeys.containsKey(k)).forEach(k -> unpaired.add(k + " (no lora_A)"));
        if (!unpaired.isEmpty()) {
            throw new IllegalArgumentException(file.path() + ": LoRA factors without their partner: " + String.join(", ", unpaired));
        }
        if (aKeys.isEmpty()) {
            throw new IllegalArgumentException(file.path() + ": no LoRA weights (keys base_model.model.<module>.lora_A.weight / lora_B.weight)");
        }
        List<LoraWeights> weights = new ArrayList<>();
        DType storage = null;
        for (Map.Entry<String, String> e : aKeys.entrySet()) {
            String module = e.getKey();
            TensorInfo a = file.info(e.getValue());
            TensorInfo b = file.info(bKeys.get(module));
            if (a.rank() != 2 || b.rank() != 2 || a.dim(0) != b.dim(1)) {
                throw new IllegalArgumentException(file.path() + ": module " + module + ": lora_A " + java.util.Arrays.toString(a.shape())
                        + " and lora_B " + java.util.Arrays.toString(b.shape()) + " are not r x in and out x r");
            }
            for (TensorInfo f : List.of(a, b)) {
                if (!f.dtype().isFloatingPoint()) {
                    throw new IllegalArgumentException(file.path() + ": tensor \"" + f.name() + "\" has dtype " + f.dtype()
                            + "; LoRA factors must be F32, F16 or BF16");
                }
            }
            if (a.dim(0) != config.rank(module)) {
                throw new IllegalArgumentException(file.path() + ": module " + module + " has rank " + a.dim(0) + " but the config gives it "
                        + config.rank(module) + (config.rankPattern().isEmpty() ? " (r)" : " (r and rank_pattern)"));
            }
            if (storage == null) {
                storage = a.dtype();
            }
            float[] aValues = file.floats(a.name());
            float[] bValues = file.floats(b.name());
            NonFinite.require(file.path().toString(), a.name(), NonFinite.firstIndex(aValues));
            NonFinite.require(file.path().toString(), b.name(), NonFinite.firstIndex(bValues));
            weights.add(new LoraWeights(module, (int) a.dim(0), (int) a.dim(1), (int) b.dim(0), aValues, bValues));
        }
        return new PeftAdapter(config, sorted(weights), raw, storage, List.copyOf(others));
    }

    /** Writes {@code adapter_config.json} and {@code adapter_model.safetensors} into {@code dir} (created if needed). */
    public void write(Path dir) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(CONFIG_FILE + ".partial");
            Files.write(tmp, configJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Files.move(tmp, dir.resolve(CONFIG_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write adapter: " + e.getMessage(), e);
        }
        // streamed from the weights' own arrays, each encoded into the writer's one direct buffer; the other tensors after
        List<TensorSpec> plan = new ArrayList<>();
        List<float[]> weights = new ArrayList<>();
        for (LoraWeights w : modules.values()) {
            plan.add(new TensorSpec(KEY_PREFIX + w.module() + ".lora_A.weight", storage, new long[] {w.r(), w.in()}));
            weights.add(w.a());
            plan.add(new TensorSpec(KEY_PREFIX + w.module() + ".lora_B.weight", storage, new long[] {w.out(), w.r()}));
            weights.add(w.b());
        }
        for (OtherTensor o : others) {
            plan.add(new TensorSpec(o.name(), o.dtype(), o.shape()));
        }
        try (SafetensorsStreamWriter out = SafetensorsStreamWriter.create(dir.resolve(WEIGHTS_FILE), Map.of("format", "pt"), plan, true)) {
            for (int t = 0; t < plan.size(); t++) {
                TensorSpec spec = plan.get(t);
                if (t < weights.size()) {
                    out.appendFloats(spec.name(), spec.shape(), weights.get(t), storage);
                } else {
                    out.append(spec, ByteBuffer.wrap(others.get(t - weights.size()).data()));
                }
            }
            out.finish();
        }
    }

    /** The config as PEFT writes it: every LoraConfig field, keys sorted, two-space indent. */
    String configJson() {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        if (originalConfig != null) {
            out.setAll(originalConfig);
        } else {
            out.putNull("auto_mapping");
            out.put("bias", "none");
            out.put("fan_in_fan_out", false);
            out.put("init_lora_weights", true);
            out.putNull("layer_replication");
            out.putNull("layers_pattern");
            out.putNull("layers_to_transform");
            out.putObject("loftq_config");
            out.putNull("megatron_config");
            out.put("megatron_core", "megatron.core");
            out.putNull("modules_to_save");
            out.putNull("revision");
            out.put("task_type", "CAUSAL_LM");
        }
        out.put("peft_type", "LORA");
        out.put("inference_mode", true);
        out.put("r", config.r());
        if (config.alpha() == Math.rint(config.alpha()) && Math.abs(config.alpha()) < 1e15) {
            out.put("lora_alpha", (long) config.alpha());
        } else {
            out.put("lora_alpha", config.alpha());
        }
        out.put("lora_dropout", config.dropout());
        out.put("use_rslora", config.rsLora());
        ObjectNode ranks = out.putObject("rank_pattern");
        config.rankPattern().forEach(ranks::put);
        ObjectNode alphas = out.putObject("alpha_pattern");
        config.alphaPattern().forEach(alphas::put);
        out.put("use_dora", false);
        if (config.baseModelPath() == null) {
            out.putNull("base_model_name_or_path");
        } else {
            out.put("base_model_name_or_path", config.baseModelPath());
        }
        JsonNode originalTargets = originalConfig == null ? null : originalConfig.get("target_modules");
        if (originalTargets != null && originalTargets.isTextual() && config.targetModules().equals(List.of(originalTargets.textValue()))) {
            out.put("target_modules", originalTargets.textValue()); // a regex in PEFT: keep it one
        } else {
            ArrayNode targets = out.putArray("target_modules");
            config.targetModules().forEach(targets::add);
        }
        ObjectNode sortedOut = JsonNodeFactory.instance.objectNode();
        List<String> keys = new ArrayList<>();
        for (Iterator<String> it = out.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        Collections.sort(keys);
        keys.forEach(k -> sortedOut.set(k, out.get(k)));
        try {
            return JSON.writeValueAsString(sortedOut) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
