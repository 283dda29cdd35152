package dev.safelora.demo;

import dev.safelora.adapter.PeftAdapter;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.schema.ModuleEvaluation;
import dev.safelora.schema.SelectionPolicy;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** The text the demo prints at the end: what SafeLoRA did to the adapter, the metrics, and where everything is. */
final class DemoSummary {

    private DemoSummary() {
    }

    static String render(DemoResult result, DemoPaths paths) {
        AdapterPublished adapter = result.adapter();
        EvaluationCompleted evaluation = result.evaluation();
        StringBuilder s = new StringBuilder();
        line(s, "SafeLoRA demo: done in %.1f s", result.elapsed().toMillis() / 1000.0);
        line(s, "  family %s, request %s, adapter %s", result.family(), result.requestId(), adapter.getAdapterId());
        line(s, "  LoRA r %d, alpha %s on %s; selection %s", adapter.getLora().getR(), trim(adapter.getLora().getAlpha()),
                String.join(", ", adapter.getLora().getTargetModules()), policy(adapter.getSelection()));
        s.append('\n');
        int width = evaluation.getModules().stream().mapToInt(m -> m.getModule().length()).max().orElse(6);
        line(s, "  %-" + width + "s  %9s  %s", "module", "cosine", "projected");
        for (ModuleEvaluation m : evaluation.getModules()) {
            line(s, "  %-" + width + "s  %9.5f  %s", m.getModule(), m.getCosine(), m.getProjected() ? "yes" : "no");
        }
        line(s, "  projected modules: %d of %d%s", adapter.getProjectedModules().size(), evaluation.getModules().size(),
                adapter.getProjectedModules().isEmpty() ? "" : " (" + String.join(", ", adapter.getProjectedModules()) + ")");
        line(s, "  Pdst: %.6f", evaluation.getPdst());
        s.append('\n');
        line(s, "  %-28s %s", "train loss (last step)", number(evaluation.getTrainLoss()));
        line(s, "  %-28s %s", "", "raw adapter -> projected adapter");
        line(s, "  %-28s %s -> %s", "held-out loss", number(evaluation.getHeldOutLossBefore()),
                number(evaluation.getHeldOutLossAfter()));
        metrics(s, "task", evaluation.getTaskMetricsBefore(), evaluation.getTaskMetricsAfter());
        metrics(s, "safety", evaluation.getSafetyMetricsBefore(), evaluation.getSafetyMetricsAfter());
        if (evaluation.getTimings() != null) {
            line(s, "  %-28s training %.1f s, projection %.1f s, evaluation %.1f s (raw and projected)", "phase times",
                    evaluation.getTimings().getTrainingMs() / 1000.0, evaluation.getTimings().getProjectionMs() / 1000.0,
                    evaluation.getTimings().getEvaluationMs() / 1000.0);
        }
        s.append('\n');
        line(s, "  artifacts (under %s):", paths.root());
        location(s, "projected adapter", adapter.getUri(), paths);
        location(s, "raw adapter", adapter.getRawAdapterUri(), paths);
        if (adapter.getReportUri() != null) {
            location(s, "report", adapter.getReportUri(), paths);
        }
        location(s, "alignment", adapter.getAlignment().getAlignmentUri(), paths);
        location(s, "base model", adapter.getAlignment().getBaseUri(), paths);
        location(s, "aligned model", adapter.getAlignment().getAlignedUri(), paths);
        location(s, "data", DemoPaths.fileUri(paths.data()), paths);
        DemoPaths.localPath(adapter.getUri()).map(PeftAdapter::read).ifPresent(peft ->
                line(s, "  the projected adapter loads as PEFT: %d modules, r %d, sha256 %s", peft.modules().size(),
                        peft.config().r(), adapter.getSha256()));
        line(s, "  events for the request: %d AdapterPublished, %d EvaluationCompleted",
                result.adapters().size(), result.evaluations().size());
        return s.toString();
    }

    private static void metrics(StringBuilder s, String name, Map<String, Double> before, Map<String, Double> after) {
        TreeSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        for (String key : keys) {
            line(s, "  %-28s %s -> %s", name + " " + key, number(before.get(key)), number(after.get(key)));
        }
    }

    private static void location(StringBuilder s, String what, String uri, DemoPaths paths) {
        String shown = DemoPaths.localPath(uri).map(p -> p.startsWith(paths.root()) ? paths.root().relativize(p).toString() : p.toString())
                .orElse(uri);
        line(s, "    %-18s %s", what, shown);
    }

    private static String policy(SelectionPolicy p) {
        return switch (p.getMode()) {
            case THRESHOLD -> "THRESHOLD " + trim(p.getThreshold());
            case TOP_K -> "TOP_K " + p.getTopK();
            case EXPLICIT -> "EXPLICIT layers " + p.getLayers() + " modules " + p.getModules();
            case AUTO -> "AUTO epsilon " + trim(p.getAutoEpsilon()) + " delta " + trim(p.getAutoDelta());
        } + (p.getRemedy() == null || "PROJECT".equals(p.getRemedy()) ? "" : ", remedy " + p.getRemedy());
    }

    private static String number(Double v) {
        return Optional.ofNullable(v).map(d -> String.format("%.4f", d)).orElse("-");
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static void line(StringBuilder s, String format, Object... args) {
        s.append(String.format(format, args)).append('\n');
    }
}
