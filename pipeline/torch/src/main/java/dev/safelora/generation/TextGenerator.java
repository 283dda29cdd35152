package dev.safelora.generation;

import dev.safelora.model.CausalLm;
import dev.safelora.model.KvCache;
import dev.safelora.model.Tensors;
import dev.safelora.tokenizer.TextTokenizer;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Autoregressive generation with a KV cache: the prompt runs once, then each step feeds only
 * the newest token. One pointer scope per step keeps native memory flat.
 */
public final class TextGenerator {

    private final CausalLm model;
    private final TextTokenizer tokenizer;

    /** {@code tokenizer} may be null when only ids are generated. */
    public TextGenerator(CausalLm model, TextTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /** Encodes {@code promptText} (with BOS), generates, and decodes the new tokens. */
    public Generation generate(String promptText, GenerationConfig config) {
        if (tokenizer == null) {
            throw new IllegalStateException("no tokenizer: use generate(long[], ...)");
        }
        Generation ids = generate(tokenizer.encode(promptText, true), config);
        return new Generation(ids.promptIds(), ids.newIds(), tokenizer.decode(ids.newIds()), ids.finishReason());
    }

    public Generation generate(long[] promptIds, GenerationConfig config) {
        model.checkTokenIds(promptIds);
        TokenSampler sampler = new TokenSampler(config);
        long[] out = new long[config.maxNewTokens()];
        int produced = 0;
        FinishReason reason = FinishReason.LENGTH;
        boolean wasTraining = model.isTraining();
        model.eval();
        try (NoGradGuard guard = new NoGradGuard(); KvCache cache = model.newCache()) {
            float[] logits = lastLogits(promptIds, cache);
            while (produced < config.maxNewTokens()) {
                long token = sampler.next(logits);
                if (config.stopTokens().contains(token)) {
                    reason = FinishReason.STOP;
                    break;
                }
                out[produced++] = token;
                if (produced == config.maxNewTokens()) {
                    break;
                }
                logits = lastLogits(new long[] {token}, cache);
            }
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
        return new Generation(promptIds.clone(), Arrays.copyOf(out, produced), null, reason);
    }

    private float[] lastLogits(long[] ids, KvCache cache) {
        try (PointerScope scope = new PointerScope()) {
            Tensor logits = model.forward(Tensors.fromLongs(ids, 1, ids.length), null, cache);
            return Tensors.toFloats(logits.select(1, logits.size(1) - 1));
        }
    }
}
