package dev.safelora.model;

import java.util.List;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** One pre-norm transformer block: self-attention then a SwiGLU MLP, each with a residual. */
final class DecoderLayer {

    final int index;
    final Tensor inputNorm;
    final Tensor postAttentionNorm;
    final LoraLinear q;
    final LoraLinear k;
    final LoraLinear v;
    final LoraLinear o;
    final LoraLinear gate;
    final LoraLinear up;
    final LoraLinear down;
    private final ModelConfig config;

    DecoderLayer(int index, ModelConfig config, Tensor inputNorm, Tensor postAttentionNorm, LoraLinear q, LoraLinear k,
                 LoraLinear v, LoraLinear o, LoraLinear gate, LoraLinear up, LoraLinear down) {
        this.index = index;
        this.config = config;
        this.inputNorm = inputNorm;
        this.postAttentionNorm = postAttentionNorm;
        this.q = q;
        this.k = k;
        this.v = v;
        this.o = o;
        this.gate = gate;
        this.up = up;
        this.down = down;
    }

    List<LoraLinear> linears() {
        return List.of(q, k, v, o, gate, up, down);
    }

    /**
     * @param mask  boolean [B or 1, 1, T, keys] (true = attend), or null
     * @param causal let the kernel apply the causal mask itself (only when mask is null and nothing is cached)
     */
    Tensor forward(Tensor h, Tensor cos, Tensor sin, Tensor mask, boolean causal, KvCache cache, boolean training) {
        long batch = h.size(0);
        long tokens = h.size(1);
        int d = config.headDim();
        Tensor x = rmsNorm(h, inputNorm, config.rmsNormEps());
        Tensor qs = q.forward(x, training).view(batch, tokens, config.numHeads(), d).transpose(1, 2);
        Tensor ks = k.forward(x, training).view(batch, tokens, config.numKvHeads(), d).transpose(1, 2);
        Tensor vs = v.forward(x, training).view(batch, tokens, config.numKvHeads(), d).transpose(1, 2);
        qs = RotaryEmbedding.apply(qs, cos, sin);
        ks = RotaryEmbedding.apply(ks, cos, sin);
        if (cache != null) {
            Tensor[] kv = cache.append(index, ks, vs);
            ks = kv[0];
            vs = kv[1];
        }
        // enable_gqa lets the kernel share each key/value head across its query group, which is
        // HF's repeat_kv without materialising the copies.
        Tensor attended = torch.scaled_dot_product_attention(qs, ks, vs,
                mask == null ? new TensorOptional() : new TensorOptional(mask), 0.0, causal,
                new DoubleOptional(), config.numKvHeads() != config.numHeads());
        Tensor merged = attended.transpose(1, 2).reshape(batch, tokens, (long) config.numHeads() * d);
        h = h.add(o.forward(merged, training));
        Tensor y = rmsNorm(h, postAttentionNorm, config.rmsNormEps());
        Tensor mlp = down.forward(torch.silu(gate.forward(y, training)).mul(up.forward(y, training)), training);
        return h.add(mlp);
    }

    /** HF LlamaRMSNorm: normalise in fp32, cast back, then scale by the weight. */
    static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        long[] last = {x.size(-1)};
        if (x.scalar_type().value == torch.ScalarType.Float.value) {
            return torch.rms_norm(x, last, new TensorOptional(weight), new DoubleOptional(eps));
        }
        Tensor normed = torch.rms_norm(x.to(torch.ScalarType.Float), last, new TensorOptional(), new DoubleOptional(eps));
        return normed.to(x.scalar_type()).mul(weight);
    }
}
