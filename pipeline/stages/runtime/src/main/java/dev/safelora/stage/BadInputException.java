package dev.safelora.stage;

/**
 * The record can never be processed (invalid field, missing checkpoint, NaN weights...): it goes to the
 * dead-letter topic with this message and the loop moves on. {@link #cause()} names the category, using
 * the values of the {@code safelora.dlq.cause} header ({@link DeadLetters#CONTRACT}).
 */
public class BadInputException extends RuntimeException {

    /** Categories of bad input, written as the {@code safelora.dlq.cause} header of a dead letter. */
    public enum Cause { DESERIALIZATION, UNKNOWN_SCHEMA, VALIDATION, ARTIFACT, PROCESSING, OTHER }

    private final Cause category;

    public BadInputException(Cause category, String message) {
        super(message);
        this.category = category;
    }

    public BadInputException(Cause category, String message, Throwable cause) {
        super(message, cause);
        this.category = category;
    }

    public BadInputException(String message) {
        this(Cause.VALIDATION, message);
    }

    public Cause category() {
        return category;
    }
}
