package dev.safelora.training;

/**
 * The BOS and EOS ids from the model config; {@code bos < 0} means the model has no BOS token
 * (Qwen2, for example), and the templates then place none.
 */
public record SpecialTokens(int bos, int eos) {
    public SpecialTokens {
        if (eos < 0) {
            throw new IllegalArgumentException("the model config names no eos_token_id; training needs one");
        }
    }

    public boolean hasBos() {
        return bos >= 0;
    }
}
