package dev.safelora.training;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request to stop, checked by the trainer between optimizer steps: never in the middle of a
 * forward or backward pass.
 */
public final class StopSignal {
    private final AtomicBoolean requested = new AtomicBoolean();

    public void request() {
        requested.set(true);
    }

    public boolean requested() {
        return requested.get();
    }
}
