package dev.safelora.audit.report;

import static dev.safelora.audit.report.Charts.esc;
import static dev.safelora.audit.report.Charts.fmt;

import dev.safelora.audit.query.AuditQueries;
import dev.safelora.audit.query.AuditQueries.AdapterFacts;
import dev.safelora.audit.query.AuditQueries.EvaluationFacts;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One family's page: its adapters over time with safety and utility before and after projection, lineage, latest alignment. */
public final class FamilyReport {

    private FamilyReport() {}

    public static String render(AuditQueries queries, String family) throws SQLException {
        List<AdapterFacts> adapters = queries.adapterList(family, Instant.ofEpochMilli(Long.MIN_VALUE));
        if (adapters.isEmpty()) {
            throw new IllegalArgumentException("no adapters of family " + family + " in the audit ledger");
        }
        Map<String, Optional<EvaluationFacts>> evaluations = new HashMap<>();
        for (AdapterFacts a : adapters) {
            evaluations.put(a.adapterId(), queries.evaluation(a.adapterId()));
        }
        StringBuilder b = new StringBuilder();
        b.append("<h1>Family <code id='family'>").append(esc(family)).append("</code></h1>");
        b.append("<p class='sub'>").append(adapters.size()).append(" adapter versions</p>");

        String safety = pick(evaluations, true, "attack_success_rate");
        String task = pick(evaluations, false, "accuracy");
        List<Charts.Series> series = new ArrayList<>();
        if (safety != null) {
            series.add(new Charts.Series(safety + ", raw", "#d95f02", points(adapters, evaluations, true, safety, 0), true));
            series.add(new Charts.Series(safety + ", projected", "#d95f02", points(adapters, evaluations, true, safety, 1), false));
        }
        if (task != null) {
            series.add(new Charts.Series(task + ", raw", "#1b9e77", points(adapters, evaluations, false, task, 0), true));
            series.add(new Charts.Series(task + ", projected", "#1b9e77", points(adapters, evaluations, false, task, 1), false));
        }
        b.append("<h2>Safety and utility over time</h2>");
        b.append(Charts.timeLines("family-chart", "Adapters of " + family + ": raw (dashed) and projected (solid)",
                "metric value (rate or score, 0 to 1)", series, new double[] {0, 1}));

        b.append("<table id='adapters'><tr><th>adapter</th><th>published</th><th>reason</th><th>previous</th><th>projected</th>");
        b.append("<th>").append(esc(safety == null ? "safety" : safety)).append(" raw → projected</th><th>")
                .append(esc(task == null ? "task" : task)).append(" raw → projected</th></tr>");
        for (AdapterFacts a : adapters) {
            Optional<EvaluationFacts> e = evaluations.get(a.adapterId());
            b.append("<tr><td><a href='../adapter/").append(esc(AdapterReport.urlPart(a.adapterId()))).append("'>").append(esc(a.adapterId()))
                    .append("</a></td><td>").append(esc(a.publishedAt().toString())).append("</td><td>").append(esc(a.reason()))
                    .append("</td><td>").append(esc(a.previousAdapterId() == null ? "-" : a.previousAdapterId())).append("</td><td class='num'>")
                    .append(a.projectedModules().size()).append("</td><td class='num'>").append(pair(e, true, safety))
                    .append("</td><td class='num'>").append(pair(e, false, task)).append("</td></tr>");
        }
        b.append("</table>");

        b.append("<h2>Lineage</h2>").append(lineageGraph(adapters));

        b.append("<h2>Latest alignment</h2>");
        Optional<List<String>> al = queries.latestAlignment(family);
        if (al.isPresent()) {
            List<String> v = al.get();
            b.append("<table id='alignment'>").append(Pages.row("alignment id", v.get(0))).append(Pages.row("outcome", v.get(1)))
                    .append(Pages.row("base fingerprint", v.get(2))).append(Pages.row("aligned fingerprint", v.get(3)))
                    .append(Pages.row("completed", v.get(4))).append(Pages.row("base checkpoint", v.get(5)))
                    .append(Pages.row("aligned checkpoint", v.get(6))).append("</table>");
        } else {
            b.append("<p class='note'>No alignment of this family in the ledger.</p>");
        }
        return Pages.page("Family " + family, b.toString());
    }

    /** Each adapter a box in publication order, an arrow from its previous version. */
    static String lineageGraph(List<AdapterFacts> adapters) {
        int boxW = 150;
        int boxH = 40;
        int gapX = 40;
        Map<String, Integer> column = new HashMap<>();
        Map<String, Integer> row = new HashMap<>();
        int rows = 0;
        for (int i = 0; i < adapters.size(); i++) {
            AdapterFacts a = adapters.get(i);
            column.put(a.adapterId(), i);
            Integer r = a.previousAdapterId() == null ? null : row.get(a.previousAdapterId());
            if (r == null) {
                r = rows++;
            }
            row.put(a.adapterId(), r);
        }
        int width = Math.max(300, adapters.size() * (boxW + gapX) + 20);
        int height = rows * (boxH + 30) + 20;
        StringBuilder s = new StringBuilder(String.format(java.util.Locale.ROOT,
                "<svg xmlns='http://www.w3.org/2000/svg' id='lineage-graph' class='chart' width='%d' height='%d' viewBox='0 0 %d %d' role='img' "
                        + "aria-label='lineage'><defs><marker id='arrow' markerWidth='8' markerHeight='8' refX='8' refY='4' orient='auto'>"
                        + "<path d='M0,0 L8,4 L0,8 z' fill='#555'/></marker></defs>", width, height, width, height));
        for (AdapterFacts a : adapters) {
            int x = 10 + column.get(a.adapterId()) * (boxW + gapX);
            int y = 10 + row.get(a.adapterId()) * (boxH + 30);
            if (a.previousAdapterId() != null && column.containsKey(a.previousAdapterId())) {
                int px = 10 + column.get(a.previousAdapterId()) * (boxW + gapX) + boxW;
                int py = 10 + row.get(a.previousAdapterId()) * (boxH + 30) + boxH / 2;
                s.append(String.format(java.util.Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#555' marker-end='url(#arrow)'/>",
                        px, py, x, y + boxH / 2));
            }
            s.append(String.format(java.util.Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' rx='6' fill='#f0f4ff' stroke='#7570b3'/>",
                    x, y, boxW, boxH));
            s.append(String.format(java.util.Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle' class='tick'>%s</text>", x + boxW / 2, y + 17,
                    esc(shorten(a.adapterId()))));
            s.append(String.format(java.util.Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle' class='value'>%s</text>", x + boxW / 2, y + 32,
                    esc(a.reason())));
        }
        return s.append("</svg>").toString();
    }

    private static String shorten(String id) {
        return id.length() <= 22 ? id : id.substring(0, 10) + "…" + id.substring(id.length() - 10);
    }

    private static String pick(Map<String, Optional<EvaluationFacts>> evaluations, boolean safety, String preferred) {
        String first = null;
        for (Optional<EvaluationFacts> e : evaluations.values()) {
            if (e.isEmpty()) {
                continue;
            }
            Map<String, Double[]> m = safety ? e.get().safety() : e.get().task();
            if (m.containsKey(preferred)) {
                return preferred;
            }
            if (first == null && !m.isEmpty()) {
                first = m.keySet().iterator().next();
            }
        }
        return first;
    }

    private static List<double[]> points(List<AdapterFacts> adapters, Map<String, Optional<EvaluationFacts>> evaluations, boolean safety,
                                         String metric, int phase) {
        List<double[]> pts = new ArrayList<>();
        for (AdapterFacts a : adapters) {
            evaluations.get(a.adapterId()).ifPresent(e -> {
                Double[] pair = (safety ? e.safety() : e.task()).get(metric);
                if (pair != null && pair[phase] != null) {
                    pts.add(new double[] {a.publishedAt().toEpochMilli(), pair[phase]});
                }
            });
        }
        return pts;
    }

    private static String pair(Optional<EvaluationFacts> e, boolean safety, String metric) {
        if (e.isEmpty() || metric == null) {
            return "-";
        }
        Double[] p = (safety ? e.get().safety() : e.get().task()).get(metric);
        return p == null ? "-" : (p[0] == null ? "n/a" : fmt(p[0])) + " → " + (p[1] == null ? "n/a" : fmt(p[1]));
    }
}
