package dev.safelora.sweep;

import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.Progress;
import dev.safelora.projection.ModuleResult;
import dev.safelora.projection.ProjectionReport;
import dev.safelora.projection.Remedy;
import dev.safelora.projection.SafeLoraProjector;
import dev.safelora.projection.Selection;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Projects one adapter at every setting and evaluates each projection, plus the two reference levels:
 * the model alone (aligned) and with the raw adapter. Settings that select the same modules give the
 * same adapter, so each distinct module set is evaluated once.
 */
public final class Sweep {

    private final AdapterEvaluator evaluator;
    private final Remedy remedy;
    private final int subspaceRank;

    public Sweep(AdapterEvaluator evaluator, Remedy remedy, int subspaceRank) {
        this.evaluator = evaluator;
        this.remedy = remedy;
        this.subspaceRank = subspaceRank;
    }

    /**
     * @param rawDir the raw adapter's directory (evaluated as is)
     * @param out where the projected adapters are written, one directory per distinct module set
     * @param progress told after each evaluation: (done, total)
     */
    public SweepResult run(PeftAdapter adapter, Path rawDir, AlignmentSource alignment, List<SweepSetting> settings, Path out,
                           BiConsumer<Integer, Integer> progress) {
        if (settings.isEmpty()) {
            throw new IllegalArgumentException("a sweep needs at least one threshold or top-k");
        }
        // Every setting is projected before anything is evaluated, so a setting the adapter cannot take (a top-k
        // beyond its module count) fails the sweep at once instead of after minutes of evaluation.
        List<SafeLoraProjector.Result> projections = new ArrayList<>();
        for (SweepSetting setting : settings) {
            projections.add(SafeLoraProjector.project(adapter, alignment, setting.selection(), remedy, subspaceRank, Progress.NONE));
        }
        int total = settings.size() + 2;
        int done = 0;
        Metrics aligned = evaluator.evaluate(null);
        progress.accept(++done, total);
        Metrics raw = evaluator.evaluate(rawDir);
        progress.accept(++done, total);
        Map<List<String>, Metrics> bySelection = new HashMap<>();
        Map<List<String>, String> dirBySelection = new HashMap<>();
        List<SweepResult.Point> points = new ArrayList<>();
        for (int i = 0; i < settings.size(); i++) {
            SweepSetting setting = settings.get(i);
            SafeLoraProjector.Result result = projections.get(i);
            ProjectionReport report = result.report();
            List<String> selected = report.modules().stream().filter(ModuleResult::projected).map(ModuleResult::name).toList();
            String dir = dirBySelection.get(selected);
            Metrics metrics;
            if (selected.isEmpty()) {
                metrics = raw; // nothing projected: the raw adapter
                dir = null;
            } else if (dir != null) {
                metrics = bySelection.get(selected);
            } else {
                dir = setting.dirName();
                result.adapter().write(out.resolve(dir));
                metrics = evaluator.evaluate(out.resolve(dir));
                bySelection.put(selected, metrics);
                dirBySelection.put(selected, dir);
            }
            points.add(new SweepResult.Point(setting.mode().cliName(),
                    setting.mode() == Selection.Mode.THRESHOLD ? setting.value() : null,
                    setting.mode() == Selection.Mode.TOP_K ? (int) setting.value() : null,
                    report.projectedCount(), selected, dir, metrics));
            progress.accept(++done, total);
        }
        return new SweepResult(remedy.cliName(), adapter.modules().size(), aligned, raw, points);
    }
}
