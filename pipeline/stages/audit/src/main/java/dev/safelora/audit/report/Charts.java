package dev.safelora.audit.report;

import dev.safelora.audit.query.AuditQueries.ModuleCosine;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * The report plots as inline SVG, written by hand: a few chart kinds with exact axes are less code than a
 * plotting library with a browser runtime, and the pages must work offline. Every chart has a title, labelled
 * axes with units, ticks at round values covering the data, and a legend where there are several series.
 */
public final class Charts {

    private static final int WIDTH = 720;
    private static final String RAW = "#d95f02";
    private static final String PROJECTED = "#1b9e77";

    private Charts() {}

    /** A series of (x, y) points for {@link #lines}. */
    public record Series(String name, String color, List<double[]> points, boolean dashed) {}

    /**
     * Horizontal bars: every module's cosine on an axis from min(-1 if any is negative else 0) to 1, the selection
     * threshold as a dashed vertical line, projected modules in their own colour and marked "projected".
     */
    public static String cosineBars(List<ModuleCosine> modules, Double threshold) {
        int left = 260;
        int right = 40;
        int top = 40;
        int rowH = 22;
        int plotH = Math.max(1, modules.size()) * rowH;
        int height = top + plotH + 80;
        boolean negative = modules.stream().anyMatch(m -> m.cosine() != null && m.cosine() < 0)
                || (threshold != null && threshold < 0);
        double lo = negative ? -1 : 0;
        double hi = 1;
        Axis x = new Axis(lo, hi, left, WIDTH - right, ticks(lo, hi, negative ? 8 : 4));
        StringBuilder s = open("cosine-chart", WIDTH, height, "Per-module SafeLoRA cosine");
        text(s, WIDTH / 2.0, 20, "middle", "title", "Per-module cosine between the LoRA update and its projection");
        for (double t : x.ticks) {
            double px = x.map(t);
            s.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' class='grid'/>", px, top, px, top + plotH));
            text(s, px, top + plotH + 16, "middle", "tick", fmt(t));
        }
        line(s, left, top + plotH, WIDTH - right, top + plotH, "axis");
        line(s, x.map(0), top, x.map(0), top + plotH, "axis");
        text(s, (left + WIDTH - right) / 2.0, top + plotH + 40, "middle", "label", negative ? "cosine similarity (unitless, -1 to 1)" : "cosine similarity (unitless, 0 to 1)");
        for (int i = 0; i < modules.size(); i++) {
            ModuleCosine m = modules.get(i);
            double y = top + i * rowH;
            text(s, left - 8, y + rowH * 0.7, "end", "tick", m.module());
            if (m.cosine() == null) {
                text(s, x.map(0) + 4, y + rowH * 0.7, "start", "tick", "not finite");
                continue;
            }
            double x0 = x.map(Math.min(0, m.cosine()));
            double x1 = x.map(Math.max(0, m.cosine()));
            s.append(String.format(Locale.ROOT, "<rect class='bar %s' x='%.1f' y='%.1f' width='%.1f' height='%d' fill='%s' "
                            + "data-module='%s' data-cosine='%s'><title>%s: cos %s%s</title></rect>",
                    m.projected() ? "projected" : "kept", x0, y + 3, Math.max(0.5, x1 - x0), rowH - 6, m.projected() ? PROJECTED : "#7570b3",
                    esc(m.module()), fmt(m.cosine()), esc(m.module()), fmt(m.cosine()), m.projected() ? " (projected)" : ""));
            text(s, x1 + 4, y + rowH * 0.7, "start", "value", fmt(m.cosine()) + (m.projected() ? "  projected" : ""));
        }
        if (threshold != null) {
            double px = x.map(threshold);
            s.append(String.format(Locale.ROOT, "<line id='threshold' x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#e7298a' "
                    + "stroke-width='2' stroke-dasharray='6 4' data-threshold='%s'/>", px, top - 6, px, top + plotH, fmt(threshold)));
            text(s, px, top - 10, "middle", "threshold", "threshold \u03c4 = " + fmt(threshold));
        }
        legend(s, left, height - 14, List.of(new String[] {"projected (B := C B)", PROJECTED}, new String[] {"kept", "#7570b3"}));
        return s.append("</svg>").toString();
    }

    /** Line chart of numeric series over a numeric x axis; {@code yRange} (nullable) widens the y axis to include it. */
    public static String lines(String id, String title, String xLabel, String yLabel, List<Series> series, double[] yRange) {
        return lines(id, title, xLabel, yLabel, series, yRange, false);
    }

    /** Line chart over time: x values are epoch milliseconds, ticked at round UTC times. */
    public static String timeLines(String id, String title, String yLabel, List<Series> series, double[] yRange) {
        return lines(id, title, "publication time (UTC)", yLabel, series, yRange, true);
    }

    private static String lines(String id, String title, String xLabel, String yLabel, List<Series> series, double[] yRange,
                                boolean time) {
        int left = 80;
        int right = 30;
        int top = 40;
        int plotH = 240;
        int height = top + plotH + 80 + (series.size() > 2 ? 18 : 0);
        double xlo = Double.POSITIVE_INFINITY;
        double xhi = Double.NEGATIVE_INFINITY;
        double ylo = Double.POSITIVE_INFINITY;
        double yhi = Double.NEGATIVE_INFINITY;
        for (Series se : series) {
            for (double[] p : se.points()) {
                xlo = Math.min(xlo, p[0]);
                xhi = Math.max(xhi, p[0]);
                ylo = Math.min(ylo, p[1]);
                yhi = Math.max(yhi, p[1]);
            }
        }
        StringBuilder s = open(id, WIDTH, height, title);
        text(s, WIDTH / 2.0, 20, "middle", "title", title);
        if (xlo == Double.POSITIVE_INFINITY) {
            text(s, WIDTH / 2.0, top + plotH / 2.0, "middle", "label", "no data");
            return s.append("</svg>").toString();
        }
        if (yRange != null) {
            ylo = Math.min(ylo, yRange[0]);
            yhi = Math.max(yhi, yRange[1]);
        }
        if (xhi == xlo) {
            xhi = xlo + (time ? 60_000 : 1);
        }
        if (yhi == ylo) {
            yhi = ylo + Math.max(1e-12, Math.abs(ylo) * 0.1 + (ylo == 0 ? 1 : 0));
        }
        double[] yt = ticks(ylo, yhi, 5);
        double[] xt = time ? timeTicks(xlo, xhi) : ticks(xlo, xhi, 6);
        DoubleFunction<String> xFormat = time ? timeFormat(xt) : Charts::fmt;
        Axis x = new Axis(xt[0], xt[xt.length - 1], left, WIDTH - right, xt);
        Axis y = new Axis(yt[0], yt[yt.length - 1], top + plotH, top, yt);
        for (double t : y.ticks) {
            double py = y.map(t);
            s.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' class='grid'/>", left, py, WIDTH - right, py));
            text(s, left - 6, py + 4, "end", "tick", fmt(t));
        }
        for (double t : x.ticks) {
            double px = x.map(t);
            line(s, px, top + plotH, px, top + plotH + 5, "axis");
            text(s, px, top + plotH + 18, "middle", "tick", xFormat.apply(t));
        }
        line(s, left, top + plotH, WIDTH - right, top + plotH, "axis");
        line(s, left, top, left, top + plotH, "axis");
        text(s, (left + WIDTH - right) / 2.0, top + plotH + 40, "middle", "label", xLabel);
        s.append(String.format(Locale.ROOT, "<text x='16' y='%.1f' text-anchor='middle' class='label' transform='rotate(-90 16 %.1f)'>%s</text>",
                top + plotH / 2.0, top + plotH / 2.0, esc(yLabel)));
        List<String[]> legend = new ArrayList<>();
        for (Series se : series) {
            StringBuilder path = new StringBuilder();
            for (double[] p : se.points()) {
                path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x.map(p[0]), y.map(p[1])));
            }
            s.append(String.format(Locale.ROOT, "<path class='series' data-series='%s' d='%s' fill='none' stroke='%s' stroke-width='2'%s/>",
                    esc(se.name()), path, se.color(), se.dashed() ? " stroke-dasharray='6 4'" : ""));
            if (se.points().size() <= 40) {
                for (double[] p : se.points()) {
                    s.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3.5' fill='%s'><title>%s: %s</title></circle>",
                            x.map(p[0]), y.map(p[1]), se.color(), esc(se.name()), fmt(p[1])));
                }
            }
            legend.add(new String[] {se.name(), se.color()});
        }
        legend(s, left, height - 12 - (series.size() > 2 ? 18 : 0), legend);
        return s.append("</svg>").toString();
    }

    private static final long[] TIME_STEPS = {1_000, 5_000, 15_000, 30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000,
        10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000, 2_592_000_000L, 31_536_000_000L};

    /** Ticks at round UTC times (a second up to a year apart), at most 6 intervals, covering lo..hi. */
    static double[] timeTicks(double lo, double hi) {
        long step = TIME_STEPS[TIME_STEPS.length - 1];
        for (long st : TIME_STEPS) {
            if ((hi - lo) / st <= 6) {
                step = st;
                break;
            }
        }
        long start = (long) Math.floor(lo / step) * step;
        long end = (long) Math.ceil(hi / step) * step;
        int n = (int) ((end - start) / step) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = start + (double) i * step;
        }
        return t;
    }

    /** Tick labels: dates when the ticks are days apart, else month-day and time (seconds only when needed). */
    static DoubleFunction<String> timeFormat(double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : 86_400_000;
        String pattern = step >= 86_400_000 ? "yyyy-MM-dd" : step >= 60_000 ? "MM-dd HH:mm" : "HH:mm:ss";
        java.time.format.DateTimeFormatter f = java.time.format.DateTimeFormatter.ofPattern(pattern).withZone(java.time.ZoneOffset.UTC);
        return t -> f.format(java.time.Instant.ofEpochMilli((long) t));
    }

    /** Vertical bar pairs (raw, projected) per metric, on an axis from 0 to at least 1. */
    public static String pairedBars(String id, String title, String yLabel, List<String> names, List<Double[]> values) {
        return groupedBars(id, title, yLabel, names, values, new String[] {"raw adapter", "projected adapter"},
                new String[] {"raw", "projected"}, new String[] {RAW, PROJECTED});
    }

    /** Vertical bars, one per label, on an axis from 0 to max(1, values). */
    public static String bars(String id, String title, String seriesName, String yLabel, List<String> labels, List<Double> values) {
        return groupedBars(id, title, yLabel, labels, values.stream().map(v -> new Double[] {v}).toList(),
                new String[] {seriesName}, new String[] {"single"}, new String[] {PROJECTED});
    }

    private static String groupedBars(String id, String title, String yLabel, List<String> names, List<Double[]> values,
                                      String[] seriesNames, String[] classes, String[] colors) {
        int left = 80;
        int right = 30;
        int top = 40;
        int plotH = 220;
        int height = top + plotH + 70;
        double hi = 1;
        for (Double[] v : values) {
            for (Double d : v) {
                if (d != null) {
                    hi = Math.max(hi, d);
                }
            }
        }
        double[] yt = ticks(0, hi, 5);
        Axis y = new Axis(0, yt[yt.length - 1], top + plotH, top, yt);
        StringBuilder s = open(id, WIDTH, height, title);
        text(s, WIDTH / 2.0, 20, "middle", "title", title);
        for (double t : y.ticks) {
            double py = y.map(t);
            s.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' class='grid'/>", left, py, WIDTH - right, py));
            text(s, left - 6, py + 4, "end", "tick", fmt(t));
        }
        line(s, left, top + plotH, WIDTH - right, top + plotH, "axis");
        line(s, left, top, left, top + plotH, "axis");
        s.append(String.format(Locale.ROOT, "<text x='16' y='%.1f' text-anchor='middle' class='label' transform='rotate(-90 16 %.1f)'>%s</text>",
                top + plotH / 2.0, top + plotH / 2.0, esc(yLabel)));
        double group = (WIDTH - right - left) / (double) Math.max(1, names.size());
        int k0 = seriesNames.length;
        double bar = Math.min(40, group / (k0 + 1));
        for (int i = 0; i < names.size(); i++) {
            double cx = left + group * (i + 0.5);
            text(s, cx, top + plotH + 18, "middle", "tick", names.get(i));
            for (int k = 0; k < k0; k++) {
                Double v = values.get(i)[k];
                double x0 = cx - (k0 * (bar + 4)) / 2.0 + k * (bar + 4);
                if (v == null) {
                    text(s, x0 + bar / 2, top + plotH - 4, "middle", "tick", "n/a");
                    continue;
                }
                double py = y.map(v);
                s.append(String.format(Locale.ROOT, "<rect class='bar %s' x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s' "
                                + "data-metric='%s' data-value='%s'><title>%s %s: %s</title></rect>",
                        classes[k], x0, py, bar, top + plotH - py, colors[k], esc(names.get(i)), fmt(v),
                        esc(names.get(i)), seriesNames[k], fmt(v)));
                text(s, x0 + bar / 2, py - 4, "middle", "value", fmt(v));
            }
        }
        List<String[]> legend = new ArrayList<>();
        for (int k = 0; k < k0; k++) {
            legend.add(new String[] {seriesNames[k], colors[k]});
        }
        legend(s, left, height - 12, legend);
        return s.append("</svg>").toString();
    }

    static final class Axis {
        final double lo;
        final double hi;
        final double from;
        final double to;
        final double[] ticks;

        Axis(double lo, double hi, double from, double to, double[] ticks) {
            this.lo = lo;
            this.hi = hi;
            this.from = from;
            this.to = to;
            this.ticks = ticks;
        }

        double map(double v) {
            return from + (v - lo) / (hi - lo) * (to - from);
        }
    }

    /** Round tick values (1, 2, 2.5 or 5 times a power of ten) from at or below lo to at or above hi. */
    static double[] ticks(double lo, double hi, int target) {
        double raw = (hi - lo) / Math.max(1, target);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (raw <= m * mag * 1.0000001) {
                step = m * mag;
                break;
            }
        }
        double start = Math.floor(lo / step + 1e-9) * step;
        double end = Math.ceil(hi / step - 1e-9) * step;
        int n = (int) Math.round((end - start) / step) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = start + i * step;
            if (Math.abs(t[i]) < step * 1e-9) {
                t[i] = 0;
            }
        }
        return t;
    }

    public static String fmt(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e5 || a < 1e-3) {
            // 2e-04, 5e-05, 1.5e+06: the mantissa without trailing zeros
            return String.format(Locale.ROOT, "%.3e", v).replaceAll("\\.?0+e", "e");
        }
        String s = String.format(Locale.ROOT, "%.4f", v);
        s = s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
        return s;
    }

    public static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace("\"", "&quot;");
    }

    private static StringBuilder open(String id, int w, int h, String title) {
        return new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns='http://www.w3.org/2000/svg' id='%s' class='chart' width='%d' height='%d' viewBox='0 0 %d %d' role='img' aria-label='%s'>",
                esc(id), w, h, w, h, esc(title)));
    }

    private static void text(StringBuilder s, double x, double y, String anchor, String cls, String t) {
        s.append(String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' text-anchor='%s' class='%s'>%s</text>", x, y, anchor, cls, esc(t)));
    }

    private static void line(StringBuilder s, double x1, double y1, double x2, double y2, String cls) {
        s.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' class='%s'/>", x1, y1, x2, y2, cls));
    }

    private static void legend(StringBuilder s, double x, double y, List<String[]> entries) {
        double cx = x;
        for (String[] e : entries) {
            if (cx > x && cx + 24 + e[0].length() * 7 > WIDTH - 10) {
                cx = x;
                y += 18;
            }
            s.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='12' height='12' fill='%s'/>", cx, y - 10, e[1]));
            text(s, cx + 16, y, "start", "legend", e[0]);
            cx += 24 + e[0].length() * 7;
        }
    }
}
