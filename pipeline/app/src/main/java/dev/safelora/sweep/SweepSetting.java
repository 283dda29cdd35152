package dev.safelora.sweep;

import dev.safelora.projection.Selection;

/** One point of a sweep: a THRESHOLD tau or a TOP_K K. */
public record SweepSetting(Selection.Mode mode, double value) {

    public SweepSetting {
        if (mode != Selection.Mode.THRESHOLD && mode != Selection.Mode.TOP_K) {
            throw new IllegalArgumentException("a sweep varies a threshold or a top-k, not " + mode.cliName());
        }
    }

    public static SweepSetting threshold(double tau) {
        return new SweepSetting(Selection.Mode.THRESHOLD, tau);
    }

    public static SweepSetting topK(int k) {
        return new SweepSetting(Selection.Mode.TOP_K, k);
    }

    public Selection selection() {
        return mode == Selection.Mode.THRESHOLD ? Selection.threshold(value) : Selection.topK((int) value);
    }

    /** A directory name for the projected adapter, e.g. {@code top-k-3} or {@code threshold-0.35}. */
    String dirName() {
        return mode.cliName() + "-" + (mode == Selection.Mode.TOP_K ? String.valueOf((int) value) : String.valueOf(value));
    }
}
