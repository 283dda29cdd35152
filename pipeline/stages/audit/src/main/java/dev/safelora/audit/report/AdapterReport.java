package dev.safelora.audit.report;

import static dev.safelora.audit.report.Charts.esc;
import static dev.safelora.audit.report.Charts.fmt;

import dev.safelora.audit.query.AuditQueries;
import dev.safelora.audit.query.AuditQueries.AdapterFacts;
import dev.safelora.audit.query.AuditQueries.EvaluationFacts;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The self-contained HTML report of one adapter: per-module cosines against the threshold with the projected
 * modules marked, per-layer Pdst, training loss and learning rate, safety and task metrics raw vs projected,
 * lineage and inputs.
 */
public final class AdapterReport {

    private AdapterReport() {}

    /** Renders the report of {@code adapterId} from the ledger and, where reachable, the run's files. */
    public static String render(AuditQueries queries, String adapterId) throws SQLException {
        AdapterFacts a = queries.adapter(adapterId)
                .orElseThrow(() -> new IllegalArgumentException("no adapter " + adapterId + " in the audit ledger"));
        return render(a, queries.evaluation(adapterId), queries.lineageOf(a), queries.alignment(a.alignmentId()),
                RunArtifacts.near(a.reportUri()));
    }

    public static String render(AdapterFacts a, Optional<EvaluationFacts> evaluation, List<AdapterFacts> lineage,
                                Optional<List<String>> alignment, RunArtifacts run) {
        StringBuilder b = new StringBuilder();
        b.append("<h1>Adapter <code id='adapter-id'>").append(esc(a.adapterId())).append("</code></h1>");
        b.append("<p class='sub'>family <a href='../family/").append(esc(urlPart(a.family()))).append("'>").append(esc(a.family()))
                .append("</a> · published ").append(esc(a.publishedAt().toString())).append(" · ").append(esc(a.reason())).append("</p>");

        b.append("<h2>SafeLoRA projection</h2>");
        if (evaluation.isPresent()) {
            EvaluationFacts e = evaluation.get();
            Double threshold = "THRESHOLD".equals(a.selectionMode()) ? a.selectionThreshold() : null;
            b.append("<p>Selection: <b>").append(esc(a.selectionMode())).append("</b>")
                    .append(threshold != null ? " (project modules with cos ≤ τ = " + fmt(threshold) + ")" : "")
                    .append(a.selectionTopK() != null && "TOP_K".equals(a.selectionMode()) ? " (the " + a.selectionTopK() + " lowest cosines)" : "")
                    .append(". Projected <b id='projected-count'>").append(a.projectedModules().size()).append("</b> of ")
                    .append(e.modules().size()).append(" modules. Pdst = <b id='pdst'>").append(e.pdst() == null ? "n/a" : fmt(e.pdst()))
                    .append("</b>.</p>");
            b.append(Charts.cosineBars(e.modules(), threshold));
        } else {
            b.append("<p class='note'>No evaluation of this adapter in the ledger yet.</p>");
        }
        if (!run.layerPdst().isEmpty()) {
            List<String> layers = new ArrayList<>();
            List<Double> values = new ArrayList<>();
            run.layerPdst().forEach((layer, v) -> {
                layers.add("layer " + layer);
                values.add(v);
            });
            b.append(Charts.bars("pdst-chart", "Pdst per decoder layer", "Pdst (mean of 1 / (1 + ||B_final − C B||_F) over the layer's modules)",
                    "Pdst (unitless, 0 to 1)", layers, values));
        } else {
            b.append("<p class='note' id='pdst-chart-missing'>Per-layer Pdst needs the projection report beside report.json, "
                    + "which is not reachable from here.</p>");
        }

        b.append("<h2>Training</h2>");
        if (!run.log().isEmpty()) {
            List<double[]> loss = new ArrayList<>();
            List<double[]> lr = new ArrayList<>();
            run.log().forEach(p -> {
                loss.add(new double[] {p.step(), p.loss()});
                if (Double.isFinite(p.learningRate())) {
                    lr.add(new double[] {p.step(), p.learningRate()});
                }
            });
            b.append(Charts.lines("loss-chart", "Training loss", "optimizer step", "loss (cross-entropy, nats per token)",
                    List.of(new Charts.Series("training loss", "#1f78b4", loss, false)), null));
            b.append(Charts.lines("lr-chart", "Learning rate", "optimizer step", "learning rate",
                    List.of(new Charts.Series("learning rate", "#6a3d9a", lr, false)), new double[] {0, 0}));
        } else {
            b.append("<p class='note' id='loss-chart-missing'>No training_log.jsonl reachable beside the report (a re-projection "
                    + "does not train).</p>");
        }
        evaluation.ifPresent(e -> {
            if (e.trainLoss() != null) {
                b.append("<p>Final training loss: <b>").append(fmt(e.trainLoss())).append("</b></p>");
            }
        });

        b.append("<h2>Safety and task metrics, raw → projected</h2>");
        evaluation.ifPresentOrElse(e -> metrics(b, e), () -> b.append("<p class='note'>No evaluation yet.</p>"));

        b.append("<h2>Lineage</h2><table id='lineage'><tr><th>adapter</th><th>previous</th><th>reason</th><th>published</th></tr>");
        for (AdapterFacts l : lineage) {
            b.append(Pages.row(l.adapterId().equals(a.adapterId()) ? l.adapterId() + " (this)" : l.adapterId(), l.previousAdapterId(),
                    l.reason(), l.publishedAt().toString()));
        }
        b.append("</table>");

        b.append("<h2>Inputs</h2><table id='inputs'>");
        b.append(Pages.row("base checkpoint", a.baseUri()));
        b.append(Pages.row("aligned checkpoint", a.alignedUri()));
        b.append(Pages.row("alignment id", a.alignmentId()));
        alignment.ifPresent(al -> {
            b.append(Pages.row("base fingerprint", al.get(2)));
            b.append(Pages.row("aligned fingerprint", al.get(3)));
        });
        b.append(Pages.row("LoRA rank r / alpha", a.loraR() + " / " + fmt(a.loraAlpha())));
        b.append(Pages.row("selection", a.selectionMode() + (a.selectionThreshold() != null ? " τ=" + fmt(a.selectionThreshold()) : "")
                + (a.selectionTopK() != null ? " k=" + a.selectionTopK() : "")));
        run.report().ifPresent(r -> {
            var training = r.path("training");
            if (training.isObject()) {
                training.fields().forEachRemaining(f -> {
                    if (f.getValue().isValueNode()) {
                        b.append(Pages.row("training " + f.getKey(), f.getValue().asText()));
                    }
                });
            }
        });
        b.append(Pages.row("request id", a.requestId()));
        b.append(Pages.row("adapter URI", a.uri()));
        b.append("</table>");
        return Pages.page("Adapter " + a.adapterId(), b.toString());
    }

    private static void metrics(StringBuilder b, EvaluationFacts e) {
        List<String> names = new ArrayList<>();
        List<Double[]> values = new ArrayList<>();
        b.append("<table id='metrics'><tr><th>kind</th><th>metric</th><th>raw</th><th>projected</th><th>change</th></tr>");
        for (Map.Entry<String, Map<String, Double[]>> kind : List.of(Map.entry("safety", e.safety()), Map.entry("task", e.task()))) {
            kind.getValue().forEach((name, pair) -> {
                if (isRate(pair[0]) && isRate(pair[1])) {
                    // the chart's axis is 0..1: rates and scores; unbounded metrics (perplexity) stay in the table
                    names.add(name);
                    values.add(pair);
                }
                String change = pair[0] == null || pair[1] == null ? "n/a" : (pair[1] - pair[0] >= 0 ? "+" : "") + fmt(pair[1] - pair[0]);
                b.append("<tr><td>").append(kind.getKey()).append("</td><td>").append(esc(name)).append("</td><td class='num'>")
                        .append(pair[0] == null ? "n/a" : fmt(pair[0])).append("</td><td class='num'>")
                        .append(pair[1] == null ? "n/a" : fmt(pair[1])).append("</td><td class='num'>").append(change).append("</td></tr>");
            });
        }
        if (e.heldOutLossBefore() != null || e.heldOutLossAfter() != null) {
            b.append("<tr><td>task</td><td>held-out loss</td><td class='num'>").append(e.heldOutLossBefore() == null ? "n/a" : fmt(e.heldOutLossBefore()))
                    .append("</td><td class='num'>").append(e.heldOutLossAfter() == null ? "n/a" : fmt(e.heldOutLossAfter())).append("</td><td></td></tr>");
        }
        b.append("</table>");
        if (!names.isEmpty()) {
            b.append(Charts.pairedBars("metrics-chart", "Rates and scores of the raw and the projected adapter", "value (rate or score, 0 to 1)",
                    names, values));
        }
    }

    private static boolean isRate(Double v) {
        return v == null || (v >= 0 && v <= 1);
    }

    static String urlPart(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }
}
