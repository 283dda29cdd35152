package dev.safelora.training;

import java.nio.file.Path;

/**
 * Told about training as it happens, on the training thread; keep the callbacks quick. The
 * trainer stage turns these into progress events, the CLI into a progress bar.
 */
public interface TrainingListener {

    /**
     * What the dataset became: examples trained on, unreadable lines skipped (with
     * --skip-bad-lines), examples truncated to the maximum length, examples dropped because no
     * response token was left.
     */
    default void onData(int examples, int skippedLines, int truncated, int dropped) {
    }

    default void onStart(long totalSteps, long resumedAtStep) {
    }

    default void onStep(TrainingProgress progress) {
    }

    default void onCheckpoint(long step, Path directory) {
    }

    /** Called once at the end, whether training completed or was stopped. */
    default void onFinish(TrainingResult result) {
    }

    static TrainingListener all(java.util.List<TrainingListener> listeners) {
        return new TrainingListener() {
            @Override public void onData(int e, int s, int t, int d) { listeners.forEach(l -> l.onData(e, s, t, d)); }
            @Override public void onStart(long totalSteps, long resumedAtStep) { listeners.forEach(l -> l.onStart(totalSteps, resumedAtStep)); }
            @Override public void onStep(TrainingProgress p) { listeners.forEach(l -> l.onStep(p)); }
            @Override public void onCheckpoint(long step, Path dir) { listeners.forEach(l -> l.onCheckpoint(step, dir)); }
            @Override public void onFinish(TrainingResult r) { listeners.forEach(l -> l.onFinish(r)); }
        };
    }
}
