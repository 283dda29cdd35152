package dev.safelora.cli;

import dev.safelora.alignment.Progress;
import java.io.PrintWriter;

/** Progress lines on stderr for runs that take a while: silent for the first two seconds, then at most one line a second. */
final class StderrProgress implements Progress {
    private final PrintWriter err;
    private final String label;
    private final long start = System.nanoTime();
    private long lastPrint;

    StderrProgress(PrintWriter err, String label) {
        this.err = err;
        this.label = label;
    }

    @Override
    public void step(int done, int total, String what) {
        long now = System.nanoTime();
        if (now - start < 2_000_000_000L || (now - lastPrint < 1_000_000_000L && done < total)) {
            return;
        }
        lastPrint = now;
        err.printf("%s: %d/%d %s (%.0f s)%n", label, done, total, what, (now - start) / 1e9);
        err.flush();
    }
}
