package dev.safelora.training;

/**
 * Linear warm-up from 0 to the peak over {@code warmupSteps} optimizer steps, then linear or
 * cosine decay to 0 at {@code totalSteps} (the schedules of HF transformers'
 * get_linear/cosine_schedule_with_warmup). {@link #at(long)} takes the 0-based index of the
 * optimizer step about to be taken.
 */
public record LearningRateSchedule(double peak, long warmupSteps, long totalSteps, Decay decay) {

    public enum Decay { LINEAR, COSINE }

    public LearningRateSchedule {
        if (!(peak > 0) || Double.isInfinite(peak)) {
            throw new IllegalArgumentException("learning rate must be positive and finite, got " + peak);
        }
        if (warmupSteps < 0 || totalSteps < 1) {
            throw new IllegalArgumentException("warm-up must be >= 0 and total steps >= 1");
        }
    }

    public double at(long step) {
        if (step < warmupSteps) {
            return peak * step / warmupSteps;
        }
        if (totalSteps <= warmupSteps) {
            return peak;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
        return switch (decay) {
            case LINEAR -> peak * (1.0 - progress);
            case COSINE -> peak * 0.5 * (1.0 + Math.cos(Math.PI * progress));
        };
    }
}
