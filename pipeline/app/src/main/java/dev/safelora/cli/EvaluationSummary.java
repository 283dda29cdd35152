package dev.safelora.cli;

import dev.safelora.evaluation.EvaluationReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The headline numbers of an {@link EvaluationReport}, a few lines for people; the JSON report stays the record. */
final class EvaluationSummary {

    private EvaluationSummary() {}

    static List<String> lines(EvaluationReport report) {
        List<String> lines = new ArrayList<>();
        lines.add("eval: model " + report.model() + (report.adapter() == null ? "" : ", adapter " + report.adapter())
                + ", template " + report.template());
        if (report.task() != null) {
            EvaluationReport.Task t = report.task();
            lines.add(row("task accuracy", t.accuracy(), t.correct(), t.total(), ""));
        }
        if (report.safetySets() != null) {
            for (Map.Entry<String, EvaluationReport.Safety> set : report.safetySets().entrySet()) {
                EvaluationReport.Safety s = set.getValue();
                lines.add(row("refusal, " + set.getKey(), s.refusalRate(), s.refusals(), s.total(),
                        String.format(Locale.ROOT, "; attack success %.2f", s.attackSuccessRate())));
            }
        }
        if (report.overRefusal() != null) {
            EvaluationReport.OverRefusal o = report.overRefusal();
            lines.add(row("over-refusal, benign", o.overRefusalRate(), o.refusals(), o.total(), ""));
        }
        if (report.heldout() != null) {
            EvaluationReport.Heldout h = report.heldout();
            lines.add(String.format(Locale.ROOT, "  %-24s %.4f, perplexity %.3f (%d examples, %d response tokens)",
                    "held-out loss", h.loss(), h.perplexity(), h.examples(), h.tokens()));
        }
        return lines;
    }

    private static String row(String label, double rate, int count, int total, String more) {
        return String.format(Locale.ROOT, "  %-24s %.2f (%d of %d)%s", label, rate, count, total, more);
    }
}
