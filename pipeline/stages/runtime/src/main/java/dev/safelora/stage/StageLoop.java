package dev.safelora.stage;

import java.time.Duration;

/** A running stage: a consume-process-produce loop on its own thread. */
public interface StageLoop extends Runnable {

    String stageName();

    StageHealth health();

    /** Runs the loop on a new thread named {@code stage-<name>} and returns it. */
    Thread start();

    /**
     * Asks the loop to stop gracefully: no new records; running work finishes (or, past the shutdown
     * deadline, is cancelled and not committed); then the clients close and the consumer leaves its group.
     * Returns at once; see {@link #awaitTermination}.
     */
    void shutdown();

    /** Stops like a crash would: no more commits, jobs cancelled, clients closed at once. For tests and fatal errors. */
    void halt();

    boolean awaitTermination(Duration timeout) throws InterruptedException;

    /** Why the loop ended on its own (an exception it could not handle), or empty. */
    java.util.Optional<Throwable> failure();
}
