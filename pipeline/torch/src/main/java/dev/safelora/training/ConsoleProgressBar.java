package dev.safelora.training;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * A one-line progress bar (step, epoch, loss, lr, tokens/s, ETA), redrawn with a carriage return
 * on a terminal; when the stream is not a terminal, a plain line every {@code plainEvery} steps.
 */
public final class ConsoleProgressBar implements TrainingListener {

    private static final int WIDTH = 24;
    private final PrintWriter out;
    private final boolean interactive;
    private final int plainEvery;

    public ConsoleProgressBar(PrintWriter out, boolean interactive, int plainEvery) {
        this.out = out;
        this.interactive = interactive;
        this.plainEvery = Math.max(1, plainEvery);
    }

    /** Redrawn in place when a console is attached, else a line every ten steps. */
    public static ConsoleProgressBar forConsole(PrintWriter err) {
        return new ConsoleProgressBar(err, System.console() != null, 10);
    }

    @Override
    public void onData(int examples, int skippedLines, int truncated, int dropped) {
        out.printf(Locale.ROOT, "%d examples (%d unreadable lines skipped, %d truncated, %d dropped without a response token)%n",
                examples, skippedLines, truncated, dropped);
        out.flush();
    }

    @Override
    public void onStart(long totalSteps, long resumedAtStep) {
        if (resumedAtStep > 0) {
            out.printf(Locale.ROOT, "resuming at step %d of %d%n", resumedAtStep, totalSteps);
            out.flush();
        }
    }

    @Override
    public void onStep(TrainingProgress p) {
        String line = render(p);
        if (interactive) {
            out.print("\r" + line);
            out.flush();
        } else if (p.step() % plainEvery == 0 || p.step() == p.totalSteps()) {
            out.println(line);
            out.flush();
        }
    }

    @Override
    public void onFinish(TrainingResult r) {
        if (interactive) {
            out.println();
        }
        out.printf(Locale.ROOT, "%s after %d of %d steps, final loss %.4f, %.0f tokens/s, %s%n",
                r.stopped() ? "stopped" : "trained", r.steps(), r.totalSteps(), r.finalLoss(),
                r.tokensPerSecond(), format(r.elapsed()));
        out.flush();
    }

    static String render(TrainingProgress p) {
        int filled = (int) (WIDTH * p.step() / Math.max(1, p.totalSteps()));
        String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
        return String.format(Locale.ROOT, "[%s] step %d/%d epoch %d/%d loss %.4f lr %.2e %.0f tok/s ETA %s",
                bar, p.step(), p.totalSteps(), p.epoch(), p.epochs(), p.loss(), p.learningRate(),
                p.tokensPerSecond(), format(p.eta()));
    }

    static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s % 3600 / 60, s % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
