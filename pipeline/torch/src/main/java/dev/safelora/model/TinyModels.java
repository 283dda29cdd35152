package dev.safelora.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.tensor.Checkpoint;
import dev.safelora.tensor.DType;
import dev.safelora.tensor.SafetensorsWriter;
import dev.safelora.tokenizer.TinyTokenizerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;

/**
 * Writes small random Llama-family models as HF directories ({@code config.json},
 * {@code model.safetensors}, {@code tokenizer.json}), deterministic from a seed, for the demo and
 * tests; and "aligned" siblings (base plus a small low-rank change of every projection), which
 * give SafeLoRA a non-trivial alignment direction.
 */
public final class TinyModels {

    /** Merges in the generated tokenizer: vocabularies of about 300 tokens. */
    public static final int TOKENIZER_MERGES = 64;

    private TinyModels() {
    }

    /**
     * Shape of a tiny model; the vocabulary size comes from the generated tokenizer.
     *
     * @param headScale the centre of the final norm's weights (1 by default). With the final norm near 1 a logit can
     *     reach only about {@code sqrt(hidden / 3)} (4.6 at hidden 64: the lm_head rows have norm ~0.58 and the normed
     *     hidden state norm sqrt(hidden)), so LoRA training, which cannot change the norm or lm_head, stalls at a
     *     loss well above zero; a scale of 4 or more lets a trained adapter make confident predictions.
     */
    public record Shape(Architecture architecture, int layers, int hidden, int intermediate, int heads, int kvHeads,
                        boolean tieEmbeddings, RopeScaling ropeScaling, double ropeTheta, double headScale) {

        public Shape {
            if (layers < 1 || hidden < 1 || intermediate < 1 || heads < 1 || kvHeads < 1) {
                throw new IllegalArgumentException("layers, hidden, intermediate, heads and kv heads must be positive");
            }
            if (hidden % heads != 0) {
                throw new IllegalArgumentException("hidden size " + hidden + " is not a multiple of the " + heads + " heads");
            }
            if (heads % kvHeads != 0) {
                throw new IllegalArgumentException(heads + " heads cannot be shared by " + kvHeads + " key/value heads");
            }
            if ((hidden / heads) % 2 != 0) {
                throw new IllegalArgumentException("the head size " + hidden / heads + " must be even for rotary embeddings");
            }
            if (!(headScale > 0) || Double.isInfinite(headScale)) {
                throw new IllegalArgumentException("head scale must be a positive number, got " + headScale);
            }
        }

        public Shape(Architecture architecture, int layers, int hidden, int intermediate, int heads, int kvHeads,
                     boolean tieEmbeddings, RopeScaling ropeScaling, double ropeTheta) {
            this(architecture, layers, hidden, intermediate, heads, kvHeads, tieEmbeddings, ropeScaling, ropeTheta, 1.0);
        }

        /** Llama 2 style: multi-head attention. */
        public static Shape llama() {
            return new Shape(Architecture.LLAMA, 2, 64, 128, 4, 4, false, RopeScaling.none(), 10000);
        }

        /** Llama 3 style: grouped-query attention and llama3 RoPE scaling. */
        public static Shape llama3Gqa() {
            return new Shape(Architecture.LLAMA, 3, 96, 160, 6, 2, false,
                    RopeScaling.llama3(8.0, 1.0, 4.0, 64), 500000);
        }

        /** Qwen2 style: q/k/v biases, tied embeddings, GQA. */
        public static Shape qwen2() {
            return new Shape(Architecture.QWEN2, 2, 64, 112, 4, 2, true, RopeScaling.none(), 1000000);
        }

        public static Shape mistral() {
            return new Shape(Architecture.MISTRAL, 2, 64, 128, 4, 1, false, RopeScaling.none(), 10000);
        }

        public Shape withLayers(int n) {
            return new Shape(architecture, n, hidden, intermediate, heads, kvHeads, tieEmbeddings, ropeScaling, ropeTheta, headScale);
        }

        public Shape withSize(int newHidden, int newIntermediate, int newHeads, int newKvHeads) {
            return new Shape(architecture, layers, newHidden, newIntermediate, newHeads, newKvHeads, tieEmbeddings,
                    ropeScaling, ropeTheta, headScale);
        }

        public Shape withHeadScale(double scale) {
            return new Shape(architecture, layers, hidden, intermediate, heads, kvHeads, tieEmbeddings, ropeScaling, ropeTheta, scale);
        }

        ModelConfig config(int vocab) {
            boolean qwen = architecture == Architecture.QWEN2;
            return new ModelConfig(architecture, vocab, hidden, intermediate, layers, heads, kvHeads, hidden / heads,
                    1e-5, ropeTheta, ropeScaling, 512, tieEmbeddings, qwen, false, false, 0,
                    TinyTokenizerBuilder.BOS, List.of(TinyTokenizerBuilder.EOS), TinyTokenizerBuilder.PAD);
        }
    }

    /** Writes a model with F32 weights into {@code dir} and returns its config. */
    public static ModelConfig write(Path dir, Shape shape, long seed) {
        return write(dir, shape, seed, DType.F32);
    }

    /** Writes a model whose weights are stored as {@code storeAs} (F32, BF16 or F16). */
    public static ModelConfig write(Path dir, Shape shape, long seed, DType storeAs) {
        return write(dir, shape, seed, storeAs, TinyTokenizerBuilder.write(dir, TOKENIZER_MERGES));
    }

    /**
     * Writes a model (F32) whose byte-level BPE tokenizer learns {@code merges} merges from {@code corpus} (pre-tokens,
     * see {@link TinyTokenizerBuilder#write(Path, int, List)}) instead of the built-in text: a small language then
     * encodes in few tokens.
     */
    public static ModelConfig write(Path dir, Shape shape, long seed, List<String> corpus, int merges) {
        return write(dir, shape, seed, DType.F32, TinyTokenizerBuilder.write(dir, merges, corpus));
    }

    private static ModelConfig write(Path dir, Shape shape, long seed, DType storeAs, int vocab) {
        ModelConfig config = shape.config(vocab);
        Random random = new Random(seed);
        SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
        int h = config.hiddenSize();
        int qOut = config.numHeads() * config.headDim();
        int kvOut = config.numKvHeads() * config.headDim();
        int inter = config.intermediateSize();
        out.addFloats("model.embed_tokens.weight", new long[] {vocab, h}, gaussian(random, vocab * h, 1.0), storeAs);
        for (int i = 0; i < config.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            out.addFloats(p + "input_layernorm.weight", new long[] {h}, around(random, h, 1.0, 0.2), storeAs);
            linear(out, random, p + "self_attn.q_proj", qOut, h, config.attentionBias(), storeAs);
            linear(out, random, p + "self_attn.k_proj", kvOut, h, config.attentionBias(), storeAs);
            linear(out, random, p + "self_attn.v_proj", kvOut, h, config.attentionBias(), storeAs);
            linear(out, random, p + "self_attn.o_proj", h, qOut, config.outputBias(), storeAs);
            out.addFloats(p + "post_attention_layernorm.weight", new long[] {h}, around(random, h, 1.0, 0.2), storeAs);
            linear(out, random, p + "mlp.gate_proj", inter, h, false, storeAs);
            linear(out, random, p + "mlp.up_proj", inter, h, false, storeAs);
            linear(out, random, p + "mlp.down_proj", h, inter, false, storeAs);
        }
        out.addFloats("model.norm.weight", new long[] {h}, around(random, h, shape.headScale(), 0.2 * shape.headScale()), storeAs);
        if (!config.tieWordEmbeddings()) {
            linear(out, random, "lm_head", vocab, h, false, storeAs);
        }
        out.write(dir.resolve("model.safetensors"));
        writeJson(dir.resolve("config.json"), config);
        writeGenerationConfig(dir, config);
        return config;
    }

    /**
     * Writes {@code alignedDir} as a copy of {@code baseDir} whose attention and MLP projection
     * weights each get a rank-2 change of relative size about {@code strength}.
     */
    public static void writeAligned(Path baseDir, Path alignedDir, double strength, long seed) {
        Random random = new Random(seed);
        SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
        try (Checkpoint base = Checkpoint.open(baseDir)) {
            for (String name : base.names().stream().sorted(dev.safelora.adapter.ModuleNames.NATURAL_ORDER).toList()) {
                long[] shape = base.info(name).shape();
                float[] w = base.floats(name);
                if (name.endsWith("_proj.weight")) {
                    int rows = (int) shape[0];
                    int cols = (int) shape[1];
                    // Entries of the weights are ~1/sqrt(cols); each rank-1 term adds ~strength/sqrt(cols).
                    for (int k = 0; k < 2; k++) {
                        double[] u = new double[rows];
                        double[] v = new double[cols];
                        for (int i = 0; i < rows; i++) {
                            u[i] = random.nextGaussian();
                        }
                        for (int j = 0; j < cols; j++) {
                            v[j] = random.nextGaussian() * strength / Math.sqrt(cols);
                        }
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < cols; j++) {
                                w[i * cols + j] += (float) (u[i] * v[j]);
                            }
                        }
                    }
                }
                out.addFloats(name, shape, w, base.info(name).dtype());
            }
        }
        try {
            Files.createDirectories(alignedDir);
            out.write(alignedDir.resolve("model.safetensors"));
            for (String file : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
                if (Files.exists(baseDir.resolve(file))) {
                    Files.copy(baseDir.resolve(file), alignedDir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write aligned model " + alignedDir, e);
        }
    }

    private static void linear(SafetensorsWriter out, Random random, String module, int rows, int cols, boolean bias,
                               DType storeAs) {
        // nn.Linear's default init: uniform in +-1/sqrt(in).
        double bound = 1.0 / Math.sqrt(cols);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        out.addFloats(module + ".weight", new long[] {rows, cols}, w, storeAs);
        if (bias) {
            float[] b = new float[rows];
            for (int i = 0; i < rows; i++) {
                b[i] = (float) ((random.nextDouble() * 2 - 1) * 0.5);
            }
            out.addFloats(module + ".bias", new long[] {rows}, b, storeAs);
        }
    }

    private static float[] gaussian(Random random, int n, double std) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * std);
        }
        return x;
    }

    private static float[] around(Random random, int n, double center, double spread) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (center + (random.nextDouble() * 2 - 1) * spread);
        }
        return x;
    }

    private static void writeJson(Path file, ModelConfig config) {
        try {
            Files.writeString(file, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(config.toJson()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writeGenerationConfig(Path dir, ModelConfig config) {
        var json = new ObjectMapper().createObjectNode();
        json.put("bos_token_id", config.bosTokenId());
        json.put("eos_token_id", config.eosTokenIds().get(0));
        json.put("pad_token_id", config.padTokenId());
        try {
            Files.writeString(dir.resolve("generation_config.json"), json.toPrettyString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write generation_config.json in " + dir, e);
        }
    }
}
