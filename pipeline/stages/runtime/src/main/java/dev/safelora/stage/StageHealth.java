package dev.safelora.stage;

import java.time.Duration;

/**
 * Liveness of one stage loop: healthy while the loop runs and has polled within the stale limit.
 * Updated by the loop thread, read by the HTTP server thread.
 */
public final class StageHealth {

    private final String stage;
    private final Duration staleAfter;
    private volatile boolean running;
    private volatile long lastPollNanos;

    public StageHealth(String stage, Duration staleAfter) {
        this.stage = stage;
        this.staleAfter = staleAfter;
    }

    public String stage() {
        return stage;
    }

    public void polled() {
        lastPollNanos = System.nanoTime();
        running = true;
    }

    public void stopped() {
        running = false;
    }

    public boolean healthy() {
        return running && System.nanoTime() - lastPollNanos <= staleAfter.toNanos();
    }

    /** Milliseconds since the last poll, or -1 before the first. */
    public long lastPollAgeMillis() {
        return lastPollNanos == 0 ? -1 : (System.nanoTime() - lastPollNanos) / 1_000_000;
    }
}
