package dev.safelora.generation;

/** Why generation ended. */
public enum FinishReason {
    /** A stop (EOS) token came up. */
    STOP,
    /** The maximum number of new tokens was reached. */
    LENGTH
}
