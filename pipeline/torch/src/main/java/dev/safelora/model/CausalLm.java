package dev.safelora.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * A Llama-family decoder (Llama 2/3, Mistral, Qwen2) on libtorch, with optional LoRA on any of
 * its linear modules.
 *
 * <p>Memory: weights and LoRA parameters live outside any {@link PointerScope}; callers wrap each
 * forward (or training step) in {@code try (PointerScope s = new PointerScope()) {...}} so the
 * activations are freed when the step ends.
 *
 * <p>Not thread-safe: one thread drives one model.
 */
public final class CausalLm implements AutoCloseable {

    /** Models built and not closed yet, process-wide: what a long-running stage must keep flat. */
    private static final java.util.concurrent.atomic.AtomicInteger OPEN = new java.util.concurrent.atomic.AtomicInteger();

    private final ModelConfig config;
    private final ComputeDevice device;
    private final Tensor embedTokens;
    private final Tensor finalNorm;
    private final Tensor lmHead;
    private final List<DecoderLayer> layers;
    private final Map<String, LoraLinear> linears = new LinkedHashMap<>();
    private final RotaryEmbedding rope;
    private boolean training;
    private boolean closed;
    private long causalForwards;
    private long maskedForwards;

    private CausalLm(ModelConfig config, ComputeDevice device, Tensor embedTokens, Tensor finalNorm, Tensor lmHead,
                     List<DecoderLayer> layers) {
        this.config = config;
        this.device = device;
        this.embedTokens = embedTokens;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.layers = List.copyOf(layers);
        for (DecoderLayer layer : layers) {
            for (LoraLinear linear : layer.linears()) {
                linears.put(linear.name(), linear);
            }
        }
        this.rope = new RotaryEmbedding(config, device.torchDevice(), device.computeType());
        OPEN.incrementAndGet();
    }

    /** How many models are loaded and not closed yet in this process. */
    public static int openModels() {
        return OPEN.get();
    }

    /** Loads an HF model directory (config.json + safetensors weights) onto {@code device}. */
    public static CausalLm load(Path dir, ComputeDevice device) {
        ModelConfig config = ModelConfig.read(dir);
        try (CheckpointWeights weights = CheckpointWeights.open(dir)) {
            return build(config, weights, device);
        }
    }

    /** Builds the model from {@code weights}, checking every tensor's presence and shape. */
    public static CausalLm build(ModelConfig config, WeightSource weights, ComputeDevice device) {
        WeightLoader loader = new WeightLoader(weights, device);
        long h = config.hiddenSize();
        long qOut = (long) config.numHeads() * config.headDim();
        long kvOut = (long) config.numKvHeads() * config.headDim();
        long inter = config.intermediateSize();
        Tensor embed = loader.load("model.embed_tokens.weight", config.vocabSize(), h);
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new DecoderLayer(i, config,
                    loader.load(p + "input_layernorm.weight", h),
                    loader.load(p + "post_attention_layernorm.weight", h),
                    loader.linear(p + "self_attn.q_proj", qOut, h, config.attentionBias()),
                    loader.linear(p + "self_attn.k_proj", kvOut, h, config.attentionBias()),
                    loader.linear(p + "self_attn.v_proj", kvOut, h, config.attentionBias()),
                    loader.linear(p + "self_attn.o_proj", h, qOut, config.outputBias()),
                    loader.linear(p + "mlp.gate_proj", inter, h, config.mlpBias()),
                    loader.linear(p + "mlp.up_proj", inter, h, config.mlpBias()),
                    loader.linear(p + "mlp.down_proj", h, inter, config.mlpBias())));
        }
        Tensor norm = loader.load("model.norm.weight", h);
        Tensor head = config.tieWordEmbeddings() ? embed : loader.load("lm_head.weight", config.vocabSize(), h);
        return new CausalLm(config, device, embed, norm, head, layers);
    }

    public ModelConfig config() {
        return config;
    }

    // For the benchmark's flat replay of the same operations.
    List<DecoderLayer> layers() {
        return layers;
    }

    Tensor embedTokens() {
        return embedTokens;
    }

    Tensor finalNorm() {
        return finalNorm;
    }

    Tensor lmHead() {
        return lmHead;
    }

    RotaryEmbedding rope() {
        return rope;
    }

    public ComputeDevice device() {
        return device;
    }

    /** Names of the linear modules LoRA can target, in layer order. */
    public List<String> linearModules() {
        return List.copyOf(linears.keySet());
    }

    /** Training mode turns LoRA dropout on; evaluation mode (the default) turns it off. */
    public void train() {
        training = true;
    }

    public void eval() {
        training = false;
    }

    public boolean isTraining() {
        return training;
    }

    /** Seeds libtorch's global generator, which drives dropout. */
    public static void seed(long seed) {
        torch.manual_seed(seed);
    }

    /**
     * Logits for a batch: {@code inputIds} int64 [B, T]; {@code attentionMask} [B, T] with 1 for
     * real tokens and 0 for right padding, or null for none. Returns fp32 [B, T, vocab] on the
     * model's device. Autograd records the graph unless the caller holds a {@link NoGradGuard};
     * only LoRA parameters can require gradients.
     */
    public Tensor forward(Tensor inputIds, Tensor attentionMask) {
        return forward(inputIds, attentionMask, null);
    }

    /**
     * As {@link #forward(Tensor, Tensor)}, continuing from {@code cache} (which receives this
     * call's keys and values); the mask, when given, covers cached plus new positions.
     */
    public Tensor forward(Tensor inputIds, Tensor attentionMask, KvCache cache) {
        return forward(inputIds, attentionMask, cache, null, 0);
    }

    /**
     * As {@link #forward(Tensor, Tensor, KvCache)} with each row's own positions: {@code positions} int64 [B, T]
     * (at most {@code maxPosition}), for left-padded batches whose rows start at different offsets. RoPE makes
     * attention depend on position differences only, but exact positions keep the numbers those of the unpadded row.
     */
    public Tensor forward(Tensor inputIds, Tensor attentionMask, KvCache cache, Tensor positions, int maxPosition) {
        if (closed) {
            throw new IllegalStateException("the model has been closed");
        }
        if (inputIds.dim() != 2) {
            throw new IllegalArgumentException("input ids must be [batch, tokens], got " + Arrays.toString(Tensors.shape(inputIds)));
        }
        Device dev = device.torchDevice();
        Tensor ids = inputIds.to(dev, torch.ScalarType.Long);
        int tokens = (int) ids.size(1);
        int past = cache == null ? 0 : cache.length();
        int keys = past + tokens;
        int window = config.slidingWindow() > 0 && keys > config.slidingWindow() ? config.slidingWindow() : 0;
        Tensor mask = attentionMask(attentionMask, tokens, past, window, dev);
        boolean causal = mask == null && past == 0 && tokens > 1;
        if (mask != null) {
            maskedForwards++;
        } else if (causal) {
            causalForwards++;
        }
        Tensor[] cosSin = positions == null ? rope.table(past, tokens)
                : rope.rows(positions.to(dev, torch.ScalarType.Long), maxPosition);
        // The precision setting alone decides autocast, on the CPU as on CUDA, for training and evaluation alike.
        try (Autocast autocast = Autocast.enter(device)) {
            Tensor h = torch.embedding(embedTokens, ids);
            PointerScope outer = PointerScope.getInnerScope();
            for (DecoderLayer layer : layers) {
                if (outer == null) {
                    h = layer.forward(h, cosSin[0], cosSin[1], mask, causal, cache, training);
                    continue;
                }
                // A scope per layer: the Java handles of the layer's intermediates go when it ends, so libtorch
                // frees every one that autograd did not save (and all of them under no-grad), as PyTorch would;
                // only the layer's output moves to the caller's scope. Without this every intermediate of every
                // layer lived until the step's scope closed, after backward.
                try (PointerScope layerScope = new PointerScope()) {
                    Tensor out = layer.forward(h, cosSin[0], cosSin[1], mask, causal, cache, training);
                    outer.attach(out);
                    h = out;
                }
            }
            if (cache != null) {
                cache.advance(tokens);
            }
            h = DecoderLayer.rmsNorm(h, finalNorm, config.rmsNormEps());
            Tensor logits = torch.linear(h, lmHead);
            return logits.scalar_type().value == torch.ScalarType.Float.value ? logits : logits.to(torch.ScalarType.Float);
        }
    }

    /** Forwards whose attention took the kernel's causal flag and no mask (the fast path), since the model was built. */
    public long causalForwards() {
        return causalForwards;
    }

    /** Forwards whose attention was given an explicit boolean mask (padding, a sliding window, a cache), since built. */
    public long maskedForwards() {
        return maskedForwards;
    }

    /**
     * Boolean [B|1, 1, T, past+T] (true = may attend), or null when the kernel's own causal flag
     * suffices. Query i (absolute position past+i) sees keys j <= past+i, and with a sliding
     * {@code window} > 0 only j > past+i-window (HF's Mistral mask).
     */
    private static Tensor attentionMask(Tensor padding, int tokens, int past, int window, Device dev) {
        int keys = past + tokens;
        if (padding == null && window == 0 && (past == 0 || tokens == 1)) {
            return null;
        }
        TensorOptions bool = new TensorOptions(torch.ScalarType.Bool).device(new org.bytedeco.pytorch.DeviceOptional(dev));
        Tensor allowed = torch.ones(new long[] {tokens, keys}, bool).tril(past);
        if (window > 0) {
            allowed = allowed.triu(past - window + 1);
        }
        if (padding == null) {
            return allowed.view(1, 1, tokens, keys);
        }
        if (padding.dim() != 2 || padding.size(1) != keys) {
            throw new IllegalArgumentException("attention mask must be [batch, " + keys + "], got "
                    + Arrays.toString(Tensors.shape(padding)));
        }
        Tensor valid = padding.to(dev, torch.ScalarType.Bool).view(padding.size(0), 1, 1, keys);
        // A query always sees itself, so no row is fully masked (which would give NaN); with right
        // padding this only touches padded positions, whose outputs are ignored.
        Tensor self = torch.ones(new long[] {tokens, keys}, bool).tril(past).triu(past);
        return allowed.view(1, 1, tokens, keys).logical_and(valid).logical_or(self.view(1, 1, tokens, keys));
    }

    /** Logits [T][vocab] for one sequence, without autograd; a convenience for inspection and tests. */
    public float[][] logits(long[] ids) {
        checkTokenIds(ids);
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            Tensor out = forward(Tensors.fromLongs(ids, 1, ids.length), null);
            float[] flat = Tensors.toFloats(out);
            float[][] rows = new float[ids.length][];
            int v = config.vocabSize();
            for (int t = 0; t < ids.length; t++) {
                rows[t] = Arrays.copyOfRange(flat, t * v, (t + 1) * v);
            }
            return rows;
        }
    }

    /** Refuses ids outside the vocabulary (libtorch's embedding error would not say which). */
    public void checkTokenIds(long[] ids) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("no token ids given");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    public KvCache newCache() {
        return new KvCache(config.numLayers());
    }

    /** A cache preallocated for {@code capacity} positions per row: each step writes into it instead of concatenating. */
    public KvCache newCache(int capacity) {
        return new KvCache(config.numLayers(), capacity);
    }

    /**
     * Adds fresh trainable LoRA factors to every targeted module, initialised like PEFT (A uniform
     * in +-1/sqrt(in), i.e. kaiming-uniform with a=sqrt(5); B zero), deterministically from the
     * spec's seed. Returns the module names, in order.
     */
    public List<String> addTrainableLora(LoraSpec spec) {
        List<String> targets = linears.keySet().stream().filter(n -> LoraSpec.matches(n, spec.targetModules())).toList();
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("LoRA target modules " + spec.targetModules()
                    + " match no linear module of this " + config.architecture().hfName());
        }
        for (String target : spec.targetModules()) {
            // adapter_config.json lists every target: one without tensors makes PEFT warn about missing keys
            if (linears.keySet().stream().noneMatch(n -> LoraSpec.matches(n, List.of(target)))) {
                throw new IllegalArgumentException("LoRA target module " + target + " matches no linear module of this "
                        + config.architecture().hfName());
            }
        }
        SplittableRandom random = new SplittableRandom(spec.seed());
        for (String name : targets) {
            LoraLinear linear = linears.get(name);
            float[] a = new float[spec.r() * linear.in()];
            double bound = 1.0 / Math.sqrt(linear.in());
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextDouble(-bound, bound);
            }
            float[] b = new float[linear.out() * spec.r()];
            attach(new LoraFactors(name, spec.r(), linear.in(), linear.out(), a, b, spec.scale()), spec.dropout(), true);
        }
        return targets;
    }

    /** Installs existing LoRA factors (e.g. a PEFT adapter's) as frozen, or trainable, branches. */
    public void loadLora(Collection<LoraFactors> factors, double dropout, boolean trainable) {
        for (LoraFactors f : factors) {
            if (!linears.containsKey(f.module())) {
                throw new IllegalArgumentException("LoRA module '" + f.module() + "' is not a linear module of this "
                        + config.architecture().hfName() + " (e.g. " + linears.keySet().iterator().next() + ")");
            }
        }
        for (LoraFactors f : factors) {
            attach(f, dropout, trainable);
        }
    }

    private void attach(LoraFactors f, double dropout, boolean trainable) {
        LoraLinear linear = linears.get(f.module());
        if (f.in() != linear.in() || f.out() != linear.out()) {
            throw new IllegalArgumentException("LoRA for " + f.module() + " is " + f.out() + "x" + f.in()
                    + " but the module's weight is " + linear.out() + "x" + linear.in());
        }
        try (PointerScope scope = new PointerScope()) {
            Device dev = device.torchDevice();
            Tensor a = Tensors.fromFloats(f.a(), f.r(), f.in()).to(dev, torch.ScalarType.Float);
            Tensor b = Tensors.fromFloats(f.b(), f.out(), f.r()).to(dev, torch.ScalarType.Float);
            linear.attach(a, b, f.scale(), dropout, trainable);
        }
    }

    /** The tensors an optimizer should update: every LoRA A and B that requires grad, in module order. */
    public List<Tensor> trainableParameters() {
        List<Tensor> params = new ArrayList<>();
        for (LoraLinear linear : linears.values()) {
            if (linear.hasLora() && linear.loraA().requires_grad()) {
                params.add(linear.loraA());
                params.add(linear.loraB());
            }
        }
        return params;
    }

    /**
     * Moves every trainable LoRA factor into one flat fp32 buffer (values kept), with its gradient a view of a
     * second flat buffer: see {@link FlatParameters}. Returns them in {@link #trainableParameters} order.
     */
    public FlatParameters flattenTrainableParameters() {
        List<LoraLinear> trainable = linears.values().stream()
                .filter(l -> l.hasLora() && l.loraA().requires_grad()).toList();
        if (trainable.isEmpty()) {
            throw new IllegalStateException("the model has no trainable LoRA factors");
        }
        FlatParameters flat = FlatParameters.flatten(trainableParameters());
        for (int i = 0; i < trainable.size(); i++) {
            trainable.get(i).replaceFactors(flat.views().get(2 * i), flat.views().get(2 * i + 1));
        }
        return flat;
    }

    /** Current LoRA factors of every module that has them, copied to plain arrays. */
    public List<LoraFactors> exportLora() {
        List<LoraFactors> out = new ArrayList<>();
        for (LoraLinear linear : linears.values()) {
            if (linear.hasLora()) {
                int r = (int) linear.loraA().size(0);
                out.add(new LoraFactors(linear.name(), r, linear.in(), linear.out(),
                        Tensors.toFloats(linear.loraA()), Tensors.toFloats(linear.loraB()), linear.scale()));
            }
        }
        return out;
    }

    /** Drops every LoRA branch (trainable or not), freeing its tensors: the bare base model again. */
    public void removeLora() {
        linears.values().forEach(LoraLinear::removeLora);
    }

    /** Folds every LoRA branch into its (new) frozen weight: faster inference, same outputs. */
    public void mergeLora() {
        linears.values().forEach(LoraLinear::merge);
    }

    /**
     * Frees every native tensor of the model now (a 7B model holds tens of GB; the garbage collector
     * does not see that). Tensors handed out by {@link #trainableParameters} die with it.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        OPEN.decrementAndGet();
        linears.values().forEach(LoraLinear::close);
        for (DecoderLayer layer : layers) {
            layer.inputNorm.close();
            layer.postAttentionNorm.close();
        }
        if (lmHead != embedTokens) {
            lmHead.close();
        }
        embedTokens.close();
        finalNorm.close();
        rope.close();
    }
}
