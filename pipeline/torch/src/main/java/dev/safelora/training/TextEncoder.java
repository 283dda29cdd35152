package dev.safelora.training;

/**
 * Text to token ids WITHOUT special tokens (no BOS/EOS added): the templates place those
 * themselves, from the model config.
 */
@FunctionalInterface
public interface TextEncoder {
    int[] encode(String text);
}
