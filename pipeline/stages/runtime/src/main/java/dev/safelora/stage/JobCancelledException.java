package dev.safelora.stage;

/** Thrown by {@link JobContext#checkCancelled()}; the loop neither commits nor dead-letters the record. */
public final class JobCancelledException extends RuntimeException {

    private final JobContext.CancelReason reason;

    public JobCancelledException(JobContext.CancelReason reason) {
        super("job cancelled: " + reason);
        this.reason = reason;
    }

    public JobContext.CancelReason reason() {
        return reason;
    }
}
