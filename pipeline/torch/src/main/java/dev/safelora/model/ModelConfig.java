package dev.safelora.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of an HF {@code config.json} a Llama-family decoder needs. Defaults follow HF's
 * config classes for keys those classes default; the shape-defining keys are required.
 *
 * @param attentionBias q/k/v projections carry biases (always for Qwen2; Llama's {@code attention_bias}
 *                      also adds one to o_proj, see {@link #outputBias})
 * @param slidingWindow Mistral's attention window (a query sees the last {@code slidingWindow} positions,
 *                      itself included), or 0 for none
 */
public record ModelConfig(Architecture architecture, int vocabSize, int hiddenSize, int intermediateSize,
                          int numLayers, int numHeads, int numKvHeads, int headDim, double rmsNormEps,
                          double ropeTheta, RopeScaling ropeScaling, int maxPositionEmbeddings,
                          boolean tieWordEmbeddings, boolean attentionBias, boolean outputBias, boolean mlpBias,
                          int slidingWindow, Integer bosTokenId, List<Integer> eosTokenIds, Integer padTokenId) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        if (numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads
                    + ") must be a positive multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be positive and even, got " + headDim);
        }
        for (int v : new int[] {vocabSize, hiddenSize, intermediateSize, numLayers}) {
            if (v <= 0) {
                throw new IllegalArgumentException("vocab_size, hidden_size, intermediate_size and num_hidden_layers"
                        + " must be positive");
            }
        }
    }

    private static String reason(java.nio.file.FileSystemException e) {
        return e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
    }

    /** Reads {@code dir/config.json}; every problem names the file and the key. */
    public static ModelConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("model directory " + dir + " has no config.json");
        } catch (java.nio.file.FileSystemException e) {
            // their message repeats the path: say only what the path is
            throw new IllegalArgumentException(Files.isDirectory(dir) ? "cannot read " + file + ": " + reason(e)
                    : "model directory " + dir + " is not a directory", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(e instanceof com.fasterxml.jackson.core.JsonProcessingException
                    ? file + ": " + dev.safelora.files.StrictJson.reason(e) : "cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public static ModelConfig fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        JsonNode archs = root.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty()) {
            throw new IllegalArgumentException("missing required key 'architectures'");
        }
        Architecture arch = Architecture.fromHf(archs.get(0).asText());
        int hidden = requiredInt(root, "hidden_size");
        int heads = requiredInt(root, "num_attention_heads");
        int vocab = requiredInt(root, "vocab_size");
        int inter = requiredInt(root, "intermediate_size");
        int layers = requiredInt(root, "num_hidden_layers");
        int kvHeads = optionalInt(root, "num_key_value_heads", heads);
        int headDim = optionalInt(root, "head_dim", hidden / heads);
        String act = root.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException("hidden_act '" + act + "' is not supported (only silu)");
        }
        boolean qwen = arch == Architecture.QWEN2;
        // Llama's attention_bias covers q/k/v/o; Mistral has none; Qwen2 always biases q/k/v only.
        boolean llamaBias = arch == Architecture.LLAMA && root.path("attention_bias").asBoolean(false);
        boolean attentionBias = qwen || llamaBias;
        boolean outputBias = llamaBias;
        int window = 0;
        if (arch == Architecture.MISTRAL && root.hasNonNull("sliding_window")) {
            window = root.get("sliding_window").asInt();
        } else if (qwen && root.path("use_sliding_window").asBoolean(false)) {
            // Qwen2 windows only the layers from max_window_layers on; no released checkpoint enables it.
            throw new IllegalArgumentException("use_sliding_window=true is not supported for Qwen2");
        }
        // transformers >= 5 writes rope_parameters {rope_type, rope_theta, factor, ...} instead of
        // rope_theta + rope_scaling; read either.
        JsonNode ropeParameters = root.get("rope_parameters");
        boolean v5 = ropeParameters != null && ropeParameters.isObject();
        double theta = v5 && ropeParameters.hasNonNull("rope_theta")
                ? ropeParameters.get("rope_theta").asDouble() : root.path("rope_theta").asDouble(10000.0);
        RopeScaling scaling = ropeScaling(v5 ? ropeParameters : root.get("rope_scaling"), v5 ? "rope_parameters" : "rope_scaling");
        return new ModelConfig(arch, vocab, hidden, inter, layers, heads, kvHeads, headDim,
                root.path("rms_norm_eps").asDouble(1e-6), theta, scaling, optionalInt(root, "max_position_embeddings", 2048),
                root.path("tie_word_embeddings").asBoolean(false), attentionBias, outputBias,
                root.path("mlp_bias").asBoolean(false), window,
                root.hasNonNull("bos_token_id") ? root.get("bos_token_id").asInt() : null,
                tokenIds(root.get("eos_token_id")),
                root.hasNonNull("pad_token_id") ? root.get("pad_token_id").asInt() : null);
    }

    private static RopeScaling ropeScaling(JsonNode node, String key) {
        if (node == null || node.isNull()) {
            return RopeScaling.none();
        }
        String type = node.hasNonNull("rope_type") ? node.get("rope_type").asText() : node.path("type").asText("default");
        return switch (type) {
            case "default" -> RopeScaling.none();
            case "linear" -> RopeScaling.linear(required(node, key + ".factor", "factor").asDouble());
            case "llama3" -> RopeScaling.llama3(required(node, key + ".factor", "factor").asDouble(),
                    required(node, key + ".low_freq_factor", "low_freq_factor").asDouble(),
                    required(node, key + ".high_freq_factor", "high_freq_factor").asDouble(),
                    required(node, key + ".original_max_position_embeddings", "original_max_position_embeddings").asInt());
            default -> throw new IllegalArgumentException(key + " type '" + type
                    + "' is not supported (supported: default, linear, llama3)");
        };
    }

    private static List<Integer> tokenIds(JsonNode node) {
        List<Integer> ids = new ArrayList<>();
        if (node == null || node.isNull()) {
            return ids;
        }
        if (node.isArray()) {
            node.forEach(n -> ids.add(n.asInt()));
        } else {
            ids.add(node.asInt());
        }
        return ids;
    }

    private static JsonNode required(JsonNode node, String display, String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing required key '" + display + "'");
        }
        return v;
    }

    private static int requiredInt(JsonNode root, String key) {
        JsonNode v = required(root, key, key);
        if (!v.canConvertToInt()) {
            throw new IllegalArgumentException("key '" + key + "' must be an integer, got " + v);
        }
        return v.asInt();
    }

    private static int optionalInt(JsonNode root, String key, int fallback) {
        JsonNode v = root.get(key);
        return v == null || v.isNull() ? fallback : v.asInt();
    }

    public int groups() {
        return numHeads / numKvHeads;
    }

    /** The config as HF writes it (used by the tiny-model generator). */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(architecture.hfName());
        o.put("model_type", switch (architecture) {
            case LLAMA -> "llama";
            case MISTRAL -> "mistral";
            case QWEN2 -> "qwen2";
        });
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numLayers);
        o.put("num_attention_heads", numHeads);
        o.put("num_key_value_heads", numKvHeads);
        o.put("head_dim", headDim);
        o.put("hidden_act", "silu");
        o.put("rms_norm_eps", rmsNormEps);
        o.put("rope_theta", ropeTheta);
        if (!ropeScaling.type().equals("default")) {
            ObjectNode rs = o.putObject("rope_scaling");
            rs.put("rope_type", ropeScaling.type());
            rs.put("factor", ropeScaling.factor());
            if (ropeScaling.type().equals("llama3")) {
                rs.put("low_freq_factor", ropeScaling.lowFreqFactor());
                rs.put("high_freq_factor", ropeScaling.highFreqFactor());
                rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            }
        } else {
            o.putNull("rope_scaling");
        }
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        if (architecture == Architecture.LLAMA) {
            o.put("attention_bias", attentionBias);
        }
        o.put("mlp_bias", mlpBias);
        if (architecture == Architecture.MISTRAL) {
            if (slidingWindow > 0) {
                o.put("sliding_window", slidingWindow);
            } else {
                o.putNull("sliding_window");
            }
        }
        if (bosTokenId != null) {
            o.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            o.put("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            ArrayNode arr = o.putArray("eos_token_id");
            eosTokenIds.forEach(arr::add);
        }
        if (padTokenId != null) {
            o.put("pad_token_id", padTokenId);
        }
        o.put("torch_dtype", "float32");
        return o;
    }
}
