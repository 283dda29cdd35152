package dev.safelora.demo;

import dev.safelora.adapter.PeftAdapter;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AutoSelection;
import dev.safelora.schema.AutoStep;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.schema.ModuleEvaluation;
import dev.safelora.schema.SelectionPolicy;
import java.util.List;
import java.util.Locale;

/**
 * The text the demo prints at the end: aligned / raw / projected side by side for both fine-tunes, which modules
 * were projected and why (cosines, AUTO's walk and why it stopped), and where everything is.
 */
final class DemoSummary {

    private DemoSummary() {
    }

    static String render(DemoResult result, List<DemoFineTune> fineTunes, DemoPaths paths) {
        StringBuilder s = new StringBuilder();
        DemoResult.RequestResult first = result.requests().get(0);
        AdapterPublished a = first.adapter();
        line(s, "SafeLoRA demo: done in %.1f s (toy family seed %d)", result.elapsed().toMillis() / 1000.0, result.seed());
        line(s, "  family %s: base and aligned from `safelora toy-family --seed %d`; alignment V = W_aligned - W_base on %s",
                result.family(), result.seed(), String.join(", ", a.getLora().getTargetModules()));
        line(s, "  the trainer fine-tunes the aligned model (stage.train.from=aligned); LoRA r %d, alpha %s on %s; selection %s",
                a.getLora().getR(), trim(a.getLora().getAlpha()), String.join(", ", a.getLora().getTargetModules()),
                policy(a.getSelection()));
        for (int i = 0; i < fineTunes.size(); i++) {
            DemoFineTune f = fineTunes.get(i);
            line(s, "  %-7s fine-tune: %s (lr %s, %d epochs), request %s", f.name(), f.what(), trim(f.learningRate()), f.epochs(),
                    result.requests().get(i).requestId());
        }
        s.append('\n');
        table(s, result, fineTunes);
        for (int i = 0; i < fineTunes.size(); i++) {
            s.append('\n');
            modules(s, fineTunes.get(i), result.requests().get(i));
        }
        s.append('\n');
        line(s, "  artifacts (under %s):", paths.root());
        for (DemoResult.RequestResult r : result.requests()) {
            AdapterPublished adapter = r.adapter();
            location(s, r.fineTune() + " projected", adapter.getUri(), paths);
            location(s, r.fineTune() + " raw", adapter.getRawAdapterUri(), paths);
            if (adapter.getReportUri() != null) {
                location(s, r.fineTune() + " report", adapter.getReportUri(), paths);
            }
        }
        location(s, "alignment", a.getAlignment().getAlignmentUri(), paths);
        location(s, "toy family", DemoPaths.fileUri(paths.family()), paths);
        for (DemoResult.RequestResult r : result.requests()) {
            DemoPaths.localPath(r.adapter().getUri()).map(PeftAdapter::read).ifPresent(peft ->
                    line(s, "  the %s projected adapter loads as PEFT: %d modules, r %d, sha256 %s", r.fineTune(), peft.modules().size(),
                            peft.config().r(), r.adapter().getSha256()));
            line(s, "  events for the %s request: %d AdapterPublished, %d EvaluationCompleted", r.fineTune(),
                    r.adapters().size(), r.evaluations().size());
        }
        return s.toString();
    }

    /** Aligned / raw / projected for every fine-tune, one column group each. */
    private static void table(StringBuilder s, DemoResult result, List<DemoFineTune> fineTunes) {
        StringBuilder head = new StringBuilder(String.format("  %-30s", ""));
        StringBuilder sub = new StringBuilder(String.format("  %-30s", ""));
        for (DemoFineTune f : fineTunes) {
            head.append(String.format(" | %-27s", f.name() + " fine-tune"));
            sub.append(String.format(" | %7s %7s %11s", "aligned", "raw", "projected"));
        }
        s.append(head).append('\n').append(sub).append('\n');
        DemoResult.AlignedModel aligned = result.aligned();
        row(s, "refusal, held-out harmful", result, r -> new double[] {aligned.refusal(), r.rawRefusal(), r.projectedRefusal()});
        row(s, "attack success", result, r -> new double[] {1 - aligned.refusal(), r.evaluation().getSafetyMetricsBefore()
                .get("attack_success_rate"), r.evaluation().getSafetyMetricsAfter().get("attack_success_rate")});
        row(s, "over-refusal, benign", result, r -> new double[] {aligned.overRefusal(), r.rawOverRefusal(), r.projectedOverRefusal()});
        row(s, "task accuracy", result, r -> new double[] {aligned.taskAccuracy().get(r.taskSet()), r.rawTaskAccuracy(),
                r.projectedTaskAccuracy()});
        StringBuilder tasks = new StringBuilder(String.format("  %-30s", "  (task)"));
        for (DemoFineTune f : fineTunes) {
            tasks.append(String.format(" | %-27s", f.taskName() + ", held out"));
        }
        s.append(tasks).append('\n');
        line(s, "  refusal and attack success on the %d held-out harmful requests AUTO did not search on; over-refusal measured by the"
                + " demo", aligned.harmfulPrompts());
    }

    private static void row(StringBuilder s, String name, DemoResult result, java.util.function.Function<DemoResult.RequestResult, double[]> f) {
        StringBuilder b = new StringBuilder(String.format("  %-30s", name));
        for (DemoResult.RequestResult r : result.requests()) {
            double[] v = f.apply(r);
            b.append(String.format(Locale.ROOT, " | %7.2f %7.2f %11.2f", v[0], v[1], v[2]));
        }
        s.append(b).append('\n');
    }

    /** Which modules were projected and why: cosine and signed score per module, then AUTO's walk. */
    private static void modules(StringBuilder s, DemoFineTune f, DemoResult.RequestResult r) {
        EvaluationCompleted evaluation = r.evaluation();
        AdapterPublished adapter = r.adapter();
        line(s, "  %s fine-tune: %d of %d modules projected; Pdst %.4f", f.name(), adapter.getProjectedModules().size(),
                evaluation.getModules().size(), evaluation.getPdst());
        int width = evaluation.getModules().stream().mapToInt(m -> m.getModule().length()).max().orElse(6);
        line(s, "    %-" + width + "s  %9s  %12s  %s", "module", "cosine", "signed score", "projected");
        for (ModuleEvaluation m : evaluation.getModules()) {
            line(s, "    %-" + width + "s  %9.5f  %12s  %s", m.getModule(), m.getCosine(),
                    m.getSignedScore() == null ? "-" : String.format(Locale.ROOT, "%.5f", m.getSignedScore()), m.getProjected() ? "yes" : "no");
        }
        AutoSelection auto = evaluation.getAutoSelection();
        if (auto != null) {
            StringBuilder walk = new StringBuilder();
            for (AutoStep step : auto.getCurve()) {
                walk.append(String.format(Locale.ROOT, "%sK=%d refusal %.2f%s", walk.length() == 0 ? "" : "; ", step.getK(),
                        step.getRefusalRate(), step.getTaskAccuracy() == null ? "" : String.format(Locale.ROOT, " task %.2f",
                                step.getTaskAccuracy())));
            }
            line(s, "    AUTO walked K (modules in ascending-cosine order) on the other half of the harmful set: %s", walk);
            line(s, "    AUTO chose K=%d: %s", auto.getChosenK(), reason(auto));
        }
        line(s, "    train loss (last step) %s; held-out task loss %s raw -> %s projected", number(evaluation.getTrainLoss()),
                number(evaluation.getHeldOutLossBefore()), number(evaluation.getHeldOutLossAfter()));
        if (evaluation.getTimings() != null) {
            line(s, "    phase times: training %.1f s, projection (AUTO's walk included) %.1f s, evaluation %.1f s",
                    evaluation.getTimings().getTrainingMs() / 1000.0, evaluation.getTimings().getProjectionMs() / 1000.0,
                    evaluation.getTimings().getEvaluationMs() / 1000.0);
        }
    }

    private static String reason(AutoSelection auto) {
        // the event's targetRefusal is the aligned model's refusal on the search half minus epsilon (AutoSelection.search)
        String target = String.format(Locale.ROOT, "%.2f (the aligned model's %.2f minus epsilon %s)", auto.getTargetRefusal(),
                auto.getTargetRefusal() + auto.getEpsilon(), trim(auto.getEpsilon()));
        return switch (auto.getStopReason()) {
            case SAFE -> "SAFE, its refusal reached the target " + target;
            case UTILITY_BUDGET -> "UTILITY_BUDGET, K=" + auto.getCurve().get(auto.getCurve().size() - 1).getK()
                    + " lost more than delta " + trim(auto.getDelta()) + " of task accuracy" + (auto.getRawTaskAccuracy() == null ? ""
                    : String.format(Locale.ROOT, " (raw %.2f)", auto.getRawTaskAccuracy()))
                    + " before refusal reached the target " + target + "; the most refusing K within budget is kept";
            case EXHAUSTED -> "EXHAUSTED, every module was projected and refusal never reached the target " + target
                    + "; the most refusing K is kept";
            default -> auto.getStopReason().name();
        };
    }

    private static void location(StringBuilder s, String what, String uri, DemoPaths paths) {
        String shown = DemoPaths.localPath(uri).map(p -> p.startsWith(paths.root()) ? paths.root().relativize(p).toString() : p.toString())
                .orElse(uri);
        line(s, "    %-20s %s", what, shown);
    }

    private static String policy(SelectionPolicy p) {
        return switch (p.getMode()) {
            case THRESHOLD -> "THRESHOLD " + trim(p.getThreshold());
            case TOP_K -> "TOP_K " + p.getTopK();
            case EXPLICIT -> "EXPLICIT layers " + p.getLayers() + " modules " + p.getModules();
            case AUTO -> "AUTO epsilon " + trim(p.getAutoEpsilon()) + " delta " + trim(p.getAutoDelta());
        } + ", remedy " + (p.getRemedy() == null ? "PROJECT" : p.getRemedy());
    }

    private static String number(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static void line(StringBuilder s, String format, Object... args) {
        s.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
