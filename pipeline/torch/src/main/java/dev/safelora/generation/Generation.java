package dev.safelora.generation;

/** New tokens (the stop token excluded), their text when a tokenizer decoded them, and why it ended. */
public record Generation(long[] promptIds, long[] newIds, String text, FinishReason finishReason) {
}
