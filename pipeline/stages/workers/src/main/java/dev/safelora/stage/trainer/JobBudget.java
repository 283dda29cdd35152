package dev.safelora.stage.trainer;

import dev.safelora.training.StopSignal;
import dev.safelora.training.TrainingListener;
import dev.safelora.training.TrainingProgress;
import java.time.Duration;

/**
 * A training job's budget ({@code stage.job.max.steps}, {@code stage.job.max.duration}): a job planned for more
 * steps is stopped before its first, a job still training when its time is up is stopped at the next step
 * boundary; {@link #exceeded()} then says which, and the runner fails the job with that reason, so one request
 * cannot hold a GPU forever.
 */
final class JobBudget implements TrainingListener {

    private final long maxSteps;
    private final Duration maxDuration;
    private final StopSignal stop;
    private final long startNanos = System.nanoTime();
    private volatile String exceeded;

    JobBudget(long maxSteps, Duration maxDuration, StopSignal stop) {
        this.maxSteps = maxSteps;
        this.maxDuration = maxDuration;
        this.stop = stop;
    }

    @Override
    public void onStart(long totalSteps, long resumedAtStep) {
        if (totalSteps > maxSteps) {
            stopBecause("the job plans " + totalSteps + " optimizer steps, more than this stage's budget of " + maxSteps
                    + " (stage.job.max.steps); fewer epochs or a larger batch fit");
        }
    }

    @Override
    public void onStep(TrainingProgress progress) {
        Duration spent = Duration.ofNanos(System.nanoTime() - startNanos);
        if (spent.compareTo(maxDuration) > 0) {
            stopBecause("the job trained for " + spent.toSeconds() + " s, more than this stage's budget of " + maxDuration.toSeconds()
                    + " s (stage.job.max.duration)");
        }
    }

    private void stopBecause(String reason) {
        if (exceeded == null) {
            exceeded = reason;
        }
        stop.request();
    }

    /** Why the budget stopped the job, or null while it has not. */
    String exceeded() {
        return exceeded;
    }
}
