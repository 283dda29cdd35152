package dev.safelora.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.tensor.SafetensorsFile;
import dev.safelora.tensor.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the two serving loaders require of an adapter directory, written from their documentation (PEFT's
 * {@code LoraConfig} and {@code PeftModel.from_pretrained}; vLLM's LoRA adapter loading: {@code peft_helper.py},
 * {@code lora_model.py}, supported modules), as checks that name each violation:
 * <ul>
 *   <li>files: {@code adapter_config.json} and {@code adapter_model.safetensors} (no pickle {@code .bin});</li>
 *   <li>config: {@code peft_type} LORA, integer {@code r} &gt; 0, {@code lora_alpha} &gt; 0, non-empty
 *       {@code target_modules}, {@code bias} "none", no {@code modules_to_save}, no DoRA, no
 *       {@code fan_in_fan_out}; for vLLM also empty {@code rank_pattern} and {@code alpha_pattern} (it ignores them)
 *       and {@code r} within the server's {@code --max-lora-rank};</li>
 *   <li>tensors: only keys {@code base_model.model.<module>.lora_{A,B}.weight}, both factors for every module,
 *       float dtypes, A {@code r_m x in} and B {@code out x r_m} with {@code r_m} the module's configured rank,
 *       module names ending in a target and never in {@code lm_head}/{@code embed_tokens};</li>
 *   <li>every entry of {@code target_modules} has tensors (else PEFT warns about missing keys);</li>
 *   <li>with the base model's {@code config.json}: each module's shape matches the base layer.</li>
 * </ul>
 */
public final class ServingConformance {

    /** Which loader's rules: PEFT's, or vLLM's (stricter). */
    public enum Loader { PEFT, VLLM }

    private static final Pattern KEY = Pattern.compile("^base_model\\.model\\.(.+)\\.lora_([AB])\\.weight$");
    private static final Set<String> UNSUPPORTED_TARGETS = Set.of("lm_head", "embed_tokens");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ServingConformance() {
    }

    /**
     * Violations of {@code loader}'s rules by the adapter in {@code dir}; empty when it loads as is.
     *
     * @param baseConfig the base model's {@code config.json}, or null to skip the shape check against it
     * @param maxLoraRank vLLM's {@code --max-lora-rank} (ignored for PEFT)
     */
    public static List<String> check(Path dir, Loader loader, Path baseConfig, int maxLoraRank) {
        List<String> problems = new ArrayList<>();
        Path configFile = dir.resolve(PeftAdapter.CONFIG_FILE);
        Path weightsFile = dir.resolve(PeftAdapter.WEIGHTS_FILE);
        if (!Files.isRegularFile(configFile) || !Files.isRegularFile(weightsFile)) {
            return List.of("needs " + PeftAdapter.CONFIG_FILE + " and " + PeftAdapter.WEIGHTS_FILE);
        }
        if (Files.exists(dir.resolve("adapter_model.bin"))) {
            problems.add("adapter_model.bin present: a pickle file next to the safetensors one");
        }
        JsonNode config;
        try {
            config = JSON.readTree(configFile.toFile());
        } catch (IOException e) {
            return List.of(PeftAdapter.CONFIG_FILE + " is not JSON");
        }
        configRules(config, loader, maxLoraRank, problems);
        LoraConfig lora;
        try {
            lora = PeftAdapter.read(dir).config();
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return problems;
        }
        Map<String, long[]> shapes = tensorRules(weightsFile, lora, loader, problems);
        for (String target : lora.targetModules()) {
            if (shapes.keySet().stream().noneMatch(m -> m.equals(target) || m.endsWith("." + target))) {
                problems.add("target_modules lists " + target + " but no tensor adapts it");
            }
        }
        if (baseConfig != null) {
            baseShapeRules(baseConfig, shapes, problems);
        }
        return problems;
    }

    private static void configRules(JsonNode c, Loader loader, int maxLoraRank, List<String> problems) {
        if (!"LORA".equals(c.path("peft_type").asText())) {
            problems.add("peft_type must be LORA, is " + c.path("peft_type"));
        }
        if (!c.path("r").canConvertToInt() || c.path("r").asInt() <= 0) {
            problems.add("r must be a positive integer, is " + c.path("r"));
        }
        if (!c.path("lora_alpha").isNumber() || c.path("lora_alpha").asDouble() <= 0) {
            problems.add("lora_alpha must be a positive number, is " + c.path("lora_alpha"));
        }
        JsonNode targets = c.path("target_modules");
        if (!(targets.isArray() && !targets.isEmpty()) && !(targets.isTextual() && !targets.asText().isEmpty())) {
            problems.add("target_modules must be a non-empty list (or a regular expression)");
        }
        if (!c.path("bias").asText("none").equals("none")) {
            problems.add("bias must be none, is " + c.path("bias"));
        }
        if (!c.path("modules_to_save").isNull() && !c.path("modules_to_save").isMissingNode() && !c.path("modules_to_save").isEmpty()) {
            problems.add("modules_to_save must be null: the adapter would carry whole layers");
        }
        if (c.path("use_dora").asBoolean(false)) {
            problems.add("use_dora must be false");
        }
        if (c.path("fan_in_fan_out").asBoolean(false)) {
            problems.add("fan_in_fan_out must be false");
        }
        if (loader == Loader.VLLM) {
            for (String pattern : List.of("rank_pattern", "alpha_pattern")) {
                if (c.path(pattern).isObject() && !c.path(pattern).isEmpty()) {
                    problems.add(pattern + " is not empty: vLLM ignores it and would scale those modules with r and lora_alpha;"
                            + " export with --for vllm");
                }
            }
            if (c.path("r").asInt() > maxLoraRank) {
                problems.add("r " + c.path("r").asInt() + " exceeds vLLM's --max-lora-rank " + maxLoraRank);
            }
        }
    }

    /** Checks every tensor; returns module -> {out, in} of the adapted modules. */
    private static Map<String, long[]> tensorRules(Path weightsFile, LoraConfig lora, Loader loader, List<String> problems) {
        Map<String, TensorInfo> a = new HashMap<>();
        Map<String, TensorInfo> b = new HashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(weightsFile)) {
            for (String name : file.names()) {
                Matcher m = KEY.matcher(name);
                if (!m.matches()) {
                    problems.add("tensor " + name + " is not base_model.model.<module>.lora_{A,B}.weight");
                    continue;
                }
                (m.group(2).equals("A") ? a : b).put(m.group(1), file.info(name));
            }
        }
        Map<String, long[]> shapes = new HashMap<>();
        Set<String> modules = new TreeSet<>(a.keySet());
        modules.addAll(b.keySet());
        for (String module : modules) {
            TensorInfo fa = a.get(module);
            TensorInfo fb = b.get(module);
            if (fa == null || fb == null) {
                problems.add(module + ": needs both lora_A and lora_B");
                continue;
            }
            String last = module.substring(module.lastIndexOf('.') + 1);
            if (UNSUPPORTED_TARGETS.contains(last)) {
                problems.add(module + ": LoRA on " + last + " is not a linear-layer adapter");
            }
            if (!matchesTarget(module, lora.targetModules())) {
                problems.add(module + ": not one of target_modules " + lora.targetModules());
            }
            if (!fa.dtype().isFloatingPoint() || !fb.dtype().isFloatingPoint()) {
                problems.add(module + ": factors must be F32, F16 or BF16");
            }
            int rank = lora.rank(module);
            if (fa.rank() != 2 || fb.rank() != 2 || fa.dim(0) != rank || fb.dim(1) != rank) {
                problems.add(module + ": lora_A " + java.util.Arrays.toString(fa.shape()) + " and lora_B "
                        + java.util.Arrays.toString(fb.shape()) + " do not have the configured rank " + rank);
                continue;
            }
            if (loader == Loader.VLLM && rank != lora.r()) {
                problems.add(module + ": rank " + rank + " differs from r " + lora.r() + ", which vLLM applies to every module");
            }
            shapes.put(module, new long[] {fb.dim(0), fa.dim(1)});
        }
        return shapes;
    }

    private static boolean matchesTarget(String module, List<String> targets) {
        if (targets.size() == 1 && targets.get(0).matches(".*[\\\\^$*+?()\\[\\]|].*")) {
            return Pattern.compile(targets.get(0)).matcher(module).matches(); // PEFT: a string is a full-match regex
        }
        String last = module.substring(module.lastIndexOf('.') + 1);
        return targets.stream().anyMatch(t -> t.equals(module) || t.equals(last) || module.endsWith("." + t));
    }

    /** Llama-style shapes from config.json: hidden, intermediate, heads, KV heads, head_dim. */
    private static void baseShapeRules(Path baseConfig, Map<String, long[]> shapes, List<String> problems) {
        JsonNode c;
        try {
            c = JSON.readTree(baseConfig.toFile());
        } catch (IOException e) {
            problems.add("base config " + baseConfig.getFileName() + " is not JSON");
            return;
        }
        long hidden = c.path("hidden_size").asLong();
        long heads = c.path("num_attention_heads").asLong();
        long kvHeads = c.path("num_key_value_heads").asLong(heads);
        long headDim = c.path("head_dim").asLong(heads == 0 ? 0 : hidden / heads);
        long intermediate = c.path("intermediate_size").asLong();
        Map<String, long[]> expected = Map.of(
                "q_proj", new long[] {heads * headDim, hidden},
                "k_proj", new long[] {kvHeads * headDim, hidden},
                "v_proj", new long[] {kvHeads * headDim, hidden},
                "o_proj", new long[] {hidden, heads * headDim},
                "gate_proj", new long[] {intermediate, hidden},
                "up_proj", new long[] {intermediate, hidden},
                "down_proj", new long[] {hidden, intermediate});
        shapes.forEach((module, outIn) -> {
            long[] want = expected.get(module.substring(module.lastIndexOf('.') + 1));
            if (want != null && (want[0] != outIn[0] || want[1] != outIn[1])) {
                problems.add(module + ": adapts a " + outIn[0] + " x " + outIn[1] + " layer but the base model's is "
                        + want[0] + " x " + want[1]);
            }
        });
    }
}
