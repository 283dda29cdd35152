package dev.safelora.stage;

import java.nio.file.Path;
import java.util.Optional;

/** What a {@link LongJob} can see of the loop running it. */
public interface JobContext<O> {

    /** Why a job is asked to stop. */
    enum CancelReason {
        /** The partition went to another consumer: stop quickly; the new owner redoes the record. */
        REVOKED,
        /** The stage is shutting down after its deadline: checkpoint if you can, then stop. */
        SHUTDOWN,
        /** The loop was halted (crash-like stop). */
        HALTED
    }

    boolean cancelled();

    Optional<CancelReason> cancelReason();

    /**
     * Whether this run is the record's last chance: an unexpected failure now would dead-letter it rather than
     * run it again ({@code stage.max.attempts}). A job announces a failure to its users (a FAILED progress event)
     * only when it is final: bad input, or an unexpected failure on the last attempt.
     */
    default boolean finalAttempt() {
        return true;
    }

    /** Throws {@link JobCancelledException} once the job is cancelled. */
    default void checkCancelled() {
        Optional<CancelReason> reason = cancelReason();
        if (reason.isPresent()) {
            throw new JobCancelledException(reason.get());
        }
    }

    /**
     * Publishes a record now, while the job runs (progress events). Best effort and not tied to the
     * commit: progress may be published again when the record is redone. Ignored once cancelled.
     */
    void publish(Output<O> output);

    /** A scratch directory private to this record (under the stage's work dir), created on first call. */
    Path scratchDir();
}
