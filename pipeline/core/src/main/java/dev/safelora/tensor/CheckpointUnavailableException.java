package dev.safelora.tensor;

/** A checkpoint that cannot be opened at all: the directory is missing, or it holds no usable safetensors weights. */
public class CheckpointUnavailableException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Why the checkpoint is unavailable. */
    public enum Reason {
        /** No such directory (or file). */
        NOT_FOUND,
        /** Weights exist but not as a single {@code model.safetensors} or an indexed set of shards (pickle files, stray shards). */
        UNSUPPORTED_FORMAT
    }

    private final Reason reason;

    public CheckpointUnavailableException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
