package dev.safelora.alignment;

/**
 * A base/aligned checkpoint pair that cannot give an alignment: its message lists every problem found, and
 * {@link #kind()} says which kind of problem leads (for error codes; the message is for people).
 */
public class CheckpointMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The leading kind of problem, in this order of precedence when several are listed. */
    public enum Kind {
        /** A target weight has another shape in the aligned checkpoint than in the base. */
        SHAPE_MISMATCH,
        /** A target weight is absent from one checkpoint, or no target weight exists at all. */
        MISSING_MODULE,
        /** A target weight is not a 2-D floating-point matrix. */
        UNSUPPORTED_WEIGHT,
        /** A weight holds NaN or infinity, or the difference overflows float. */
        NON_FINITE_WEIGHTS
    }

    private final Kind kind;

    public CheckpointMismatchException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
