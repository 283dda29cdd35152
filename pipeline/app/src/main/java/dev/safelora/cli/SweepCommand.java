package dev.safelora.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.evaluation.EvaluationConfig;
import dev.safelora.evaluation.EvaluationJob;
import dev.safelora.evaluation.EvaluationReport;
import dev.safelora.evaluation.KeywordJudge;
import dev.safelora.projection.Remedy;
import dev.safelora.sweep.AdapterEvaluator;
import dev.safelora.sweep.Metrics;
import dev.safelora.sweep.Sweep;
import dev.safelora.sweep.SweepResult;
import dev.safelora.sweep.SweepSetting;
import dev.safelora.sweep.TradeoffPlot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code safelora sweep}: the safety-utility trade-off of one adapter over thresholds and top-k values. */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Safety-utility trade-off: projects an adapter at several settings, evaluates each, and plots the curve.",
            "Every --thresholds tau and --top-k K is projected and evaluated (refusal rate on --safety, accuracy on --task,",
            "loss on --heldout); writes sweep.json, the projected adapters, and SVG plots",
            "(sweep-top-k.svg: rates against the number of projected modules; sweep-threshold.svg: against tau) with the",
            "levels of the model alone (--model, the aligned model) and with the raw adapter as reference lines.",
            "Settings that select the same modules are evaluated once."})
final class SweepCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "the raw PEFT adapter")
    Path adapterDir;

    @Option(names = "--alignment", required = true, paramLabel = "DIR", description = "alignment artifact written by 'safelora align'")
    Path alignment;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the model the adapter applies to (the aligned model)")
    Path model;

    @Option(names = "--thresholds", split = ",", paramLabel = "TAU,...", description = "thresholds to try, e.g. 0.1,0.3,0.5")
    List<Double> thresholds = new ArrayList<>();

    @Option(names = "--top-k", split = ",", paramLabel = "K,...", description = "numbers of modules to project, e.g. 0,2,4,8")
    List<Integer> topK = new ArrayList<>();

    @Option(names = "--remedy", defaultValue = "project", paramLabel = "project|subspace|zero|shrink",
            description = "what to do with the selected modules (default: ${DEFAULT-VALUE})")
    Remedy remedy;

    @Option(names = "--rank", paramLabel = "K", description = "subspace remedy: projector rank (default: each module's LoRA rank)")
    Integer rank;

    @Option(names = "--safety", paramLabel = "FILE", description = "harmful prompts for the keyword judge")
    Path safety;

    @Option(names = "--task", paramLabel = "FILE", description = "task prompts with reference answers")
    Path task;

    @Option(names = "--heldout", paramLabel = "FILE", description = "held-out prompt/response pairs for the loss")
    Path heldout;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory")
    Path out;

    @Option(names = "--max-new-tokens", defaultValue = "64", paramLabel = "N", description = "generation budget (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--device", converter = DeviceSyntax.class, defaultValue = "cpu", paramLabel = "cpu|cuda|cuda:N", description = "default: ${DEFAULT-VALUE}")
    String device;

    @Mixin
    TemplateOption template;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public Integer call() throws IOException {
        if (thresholds.isEmpty() && topK.isEmpty()) {
            throw usage("give --thresholds and/or --top-k");
        }
        if (safety == null && task == null && heldout == null) {
            throw usage("give at least one of --safety, --task, --heldout");
        }
        if (rank != null && (remedy != Remedy.SUBSPACE || rank <= 0)) {
            throw usage("--rank applies to --remedy subspace only and must be positive");
        }
        List<SweepSetting> settings = new ArrayList<>();
        for (double t : thresholds) {
            if (!(t >= -1 && t <= 1)) {
                throw usage("--thresholds must be cosines in [-1, 1], got " + t);
            }
            settings.add(SweepSetting.threshold(t));
        }
        for (int k : topK) {
            if (k < 0) {
                throw usage("--top-k values must be >= 0, got " + k);
            }
            settings.add(SweepSetting.topK(k));
        }
        PeftAdapter adapter = PeftAdapter.read(adapterDir);
        EvaluationConfig config = OneLineErrors.optionValue(spec, () -> new EvaluationConfig(template.template, maxNewTokens,
                KeywordJudge.DEFAULT_REFUSAL_PHRASES, 4, 512));
        AdapterEvaluator evaluator = dir -> metrics(new EvaluationJob(model, dir, task, safety, heldout, config, device).run((p, d, t) -> { }));
        StderrProgress progress = new StderrProgress(spec.commandLine().getErr(), "sweep");
        SweepResult result;
        Files.createDirectories(out);
        try (AlignmentArtifact source = AlignmentArtifact.open(alignment)) {
            result = new Sweep(evaluator, remedy, rank == null ? 0 : rank).run(adapter, adapterDir, source, settings, out,
                    (done, total) -> progress.step(done, total, "evaluated"));
        }
        JSON.writeValue(out.resolve("sweep.json").toFile(), result);
        for (TradeoffPlot.Axis axis : TradeoffPlot.Axis.values()) {
            String svg = TradeoffPlot.svg(result, axis);
            if (svg != null) {
                write(out.resolve("sweep-" + (axis == TradeoffPlot.Axis.TOP_K ? "top-k" : "threshold") + ".svg"), svg);
            }
        }
        var stdout = spec.commandLine().getOut();
        stdout.printf("%-10s %6s %9s %8s %8s%n", "setting", "K", "refusal", "task", "loss");
        stdout.printf("%-10s %6s %s%n", "aligned", "-", row(result.aligned()));
        stdout.printf("%-10s %6d %s%n", "raw", 0, row(result.raw()));
        for (SweepResult.Point p : result.points()) {
            String setting = p.threshold() != null ? "tau " + p.threshold() : "top-k " + p.topK();
            stdout.printf("%-10s %6d %s%n", setting, p.projectedCount(), row(p.metrics()));
        }
        stdout.printf("remedy %s; sweep.json and plots in %s%n", result.remedy(), out);
        stdout.flush();
        return 0;
    }

    static Metrics metrics(EvaluationReport r) {
        return new Metrics(r.safety() == null ? null : r.safety().refusalRate(), r.safety() == null ? null : r.safety().attackSuccessRate(),
                r.task() == null ? null : r.task().accuracy(), r.heldout() == null ? null : r.heldout().loss());
    }

    private static String row(Metrics m) {
        return String.format("%9s %8s %8s", fmt(m.refusalRate()), fmt(m.taskAccuracy()), fmt(m.heldoutLoss()));
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format("%.3f", v);
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
