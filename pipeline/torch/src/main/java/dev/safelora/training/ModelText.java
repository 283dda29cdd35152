package dev.safelora.training;

import dev.safelora.model.ModelConfig;
import dev.safelora.tokenizer.TextTokenizer;

/** Bridges the model package's tokenizer and config to the templates' {@link TextEncoder} and {@link SpecialTokens}. */
public final class ModelText {

    private ModelText() {
    }

    /** Encodes without special tokens: the templates place BOS and EOS themselves. */
    public static TextEncoder encoder(TextTokenizer tokenizer) {
        return text -> {
            long[] ids = tokenizer.encode(text, false);
            int[] out = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                out[i] = Math.toIntExact(ids[i]);
            }
            return out;
        };
    }

    /** BOS and the first EOS id of the config (a config may list several EOS ids). */
    public static SpecialTokens specialTokens(ModelConfig config) {
        if (config.eosTokenIds().isEmpty()) {
            throw new IllegalArgumentException("the model config has no eos_token_id; training and evaluation need one");
        }
        return new SpecialTokens(config.bosTokenId() == null ? -1 : config.bosTokenId(), config.eosTokenIds().get(0));
    }

    /** The padding id: the config's pad token, else EOS (padding is masked out, so any id works). */
    public static int padId(ModelConfig config) {
        return config.padTokenId() != null ? config.padTokenId() : specialTokens(config).eos();
    }
}
