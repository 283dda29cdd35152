package dev.safelora.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The trade-off curve as an SVG: refusal rate and task accuracy (y, 0 to 1) against the number of
 * projected modules (top-k points) or the threshold tau (threshold points), with the aligned model's
 * and the raw adapter's levels as dashed reference lines. Written by hand: the plot is a few dozen
 * fixed elements, and a plotting or SVG library (JFreeChart, Batik) would be the project's only use of
 * one. Every data point is a {@code <circle>} carrying {@code data-series}, {@code data-x} and {@code data-y}.
 */
public final class TradeoffPlot {

    static final int WIDTH = 640;
    static final int HEIGHT = 400;
    static final int LEFT = 70;
    static final int RIGHT = 170;
    static final int TOP = 40;
    static final int BOTTOM = 60;

    /** One y series: its name, colour and the metric it reads. */
    private record Series(String name, String colour, Function<Metrics, Double> value) {
    }

    private static final List<Series> SERIES = List.of(
            new Series("refusal rate", "#c0392b", Metrics::refusalRate),
            new Series("task accuracy", "#2471a3", Metrics::taskAccuracy));

    private TradeoffPlot() {
    }

    /** The x axis of a plot. */
    public enum Axis {
        TOP_K("top-k", "modules projected (K)"), THRESHOLD("threshold", "threshold \u03c4 (modules with cos \u2264 \u03c4 projected)");

        final String mode;
        final String label;

        Axis(String mode, String label) {
            this.mode = mode;
            this.label = label;
        }
    }

    /** The x value of a point on this axis. */
    static double x(SweepResult.Point p, Axis axis) {
        return axis == Axis.TOP_K ? p.topK() : p.threshold();
    }

    /** The SVG of the points of one kind; null when the sweep has none of that kind. */
    public static String svg(SweepResult sweep, Axis axis) {
        List<SweepResult.Point> points = sweep.points().stream().filter(p -> p.mode().equals(axis.mode))
                .sorted(Comparator.comparingDouble(p -> x(p, axis))).toList();
        if (points.isEmpty()) {
            return null;
        }
        double xMin;
        double xMax;
        if (axis == Axis.TOP_K) {
            xMin = 0;
            xMax = Math.max(1, sweep.modules());
        } else {
            xMin = Math.min(-1, points.get(0).threshold());
            xMax = Math.max(1, points.get(points.size() - 1).threshold());
        }
        Scale sx = new Scale(xMin, xMax, LEFT, WIDTH - RIGHT);
        Scale sy = new Scale(0, 1, HEIGHT - BOTTOM, TOP);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        s.append(String.format(Locale.ROOT, "<title>SafeLoRA trade-off (%s, remedy %s)</title>%n", escape(axis.mode), escape(sweep.remedy())));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        axes(s, sx, sy, axis, xMin, xMax);
        for (Series series : SERIES) {
            reference(s, sx, sy, series, "aligned", sweep.aligned(), "8 4");
            reference(s, sx, sy, series, "raw", sweep.raw(), "2 3");
            List<String> path = new ArrayList<>();
            for (SweepResult.Point p : points) {
                Double y = series.value().apply(p.metrics());
                if (y == null) {
                    continue;
                }
                double px = sx.map(x(p, axis));
                double py = sy.map(y);
                path.add(String.format(Locale.ROOT, "%.2f,%.2f", px, py));
                s.append(String.format(Locale.ROOT, "<circle class=\"point\" data-series=\"%s\" data-x=\"%s\" data-y=\"%s\" cx=\"%.2f\""
                        + " cy=\"%.2f\" r=\"4\" fill=\"%s\"/>%n", escape(series.name()), num(x(p, axis)), num(y), px, py, series.colour()));
            }
            if (path.size() > 1) {
                s.append(String.format(Locale.ROOT, "<polyline data-series=\"%s\" points=\"%s\" fill=\"none\" stroke=\"%s\""
                        + " stroke-width=\"2\"/>%n", escape(series.name()), String.join(" ", path), series.colour()));
            }
        }
        legend(s);
        s.append("</svg>\n");
        return s.toString();
    }

    private static void axes(StringBuilder s, Scale sx, Scale sy, Axis axis, double xMin, double xMax) {
        double x0 = sx.map(xMin);
        double x1 = sx.map(xMax);
        double y0 = sy.map(0);
        double y1 = sy.map(1);
        s.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>%n",
                x0, y0, x1, y0));
        s.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>%n",
                x0, y0, x0, y1));
        for (int i = 0; i <= 5; i++) {
            double v = i / 5.0;
            double py = sy.map(v);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#ddd\"/>%n", x0, py, x1, py));
            s.append(String.format(Locale.ROOT, "<text class=\"ytick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%s</text>%n",
                    x0 - 6, py + 4, num(v)));
        }
        for (double v : xTicks(axis, xMin, xMax)) {
            double px = sx.map(v);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>%n",
                    px, y0, px, y0 + 4));
            s.append(String.format(Locale.ROOT, "<text class=\"xtick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>%n",
                    px, y0 + 18, num(v)));
        }
        s.append(String.format(Locale.ROOT, "<text class=\"xlabel\" x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                (x0 + x1) / 2, HEIGHT - 15, escape(axis.label)));
        s.append(String.format(Locale.ROOT, "<text class=\"ylabel\" x=\"15\" y=\"%.2f\" text-anchor=\"middle\" transform=\"rotate(-90 15 %.2f)\">"
                + "rate (refusal on harmful prompts, task accuracy)</text>%n", (y0 + y1) / 2, (y0 + y1) / 2));
    }

    static List<Double> xTicks(Axis axis, double xMin, double xMax) {
        List<Double> ticks = new ArrayList<>();
        if (axis == Axis.TOP_K) {
            int step = (int) Math.max(1, Math.ceil(xMax / 10));
            for (int k = 0; k <= xMax; k += step) {
                ticks.add((double) k);
            }
        } else {
            for (double t = Math.ceil(xMin * 4) / 4; t <= xMax + 1e-9; t += 0.25) {
                ticks.add(Math.rint(t * 100) / 100);
            }
        }
        return ticks;
    }

    private static void reference(StringBuilder s, Scale sx, Scale sy, Series series, String which, Metrics m, String dash) {
        Double y = m == null ? null : series.value().apply(m);
        if (y == null) {
            return;
        }
        double py = sy.map(y);
        s.append(String.format(Locale.ROOT, "<line class=\"reference\" data-series=\"%s\" data-reference=\"%s\" data-y=\"%s\" x1=\"%.2f\""
                        + " y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-dasharray=\"%s\"/>%n", escape(series.name()), which, num(y),
                sx.lo, py, sx.hi, py, series.colour(), dash));
        s.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%.2f\" fill=\"%s\">%s %s</text>%n", sx.hi + 6, py + 4,
                series.colour(), which, escape(series.name())));
    }

    private static void legend(StringBuilder s) {
        int y = TOP - 20;
        int x = LEFT;
        for (Series series : SERIES) {
            s.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/>%n", x, y, series.colour()));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", x + 8, y + 4, escape(series.name())));
            x += 130;
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">dashed: aligned model, dotted: raw adapter</text>%n", x, y + 4));
    }

    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return String.valueOf((long) v);
        }
        return String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "");
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Linear map from data [d0, d1] to pixels [lo, hi] (hi may be below lo, as for y). */
    record Scale(double d0, double d1, double lo, double hi) {
        double map(double v) {
            return lo + (v - d0) / (d1 - d0) * (hi - lo);
        }
    }
}
