package dev.safelora.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.safelora.adapter.ModuleNames;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.CheckpointPair;
import dev.safelora.evaluation.AutoSelectionRunner;
import dev.safelora.evaluation.EvaluationConfig;
import dev.safelora.evaluation.KeywordJudge;
import dev.safelora.files.FileTrees;
import dev.safelora.projection.AutoSelection;
import dev.safelora.projection.ProjectionReport;
import dev.safelora.projection.Remedy;
import dev.safelora.projection.SafeLoraProjector;
import dev.safelora.projection.Selection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code safelora project}: PEFT {@code apply_safelora}, offline and factored. */
@Command(name = "project", mixinStandardHelpOptions = true,
        description = {"Project a LoRA adapter with SafeLoRA (like PEFT's apply_safelora, without forming any m x m matrix).",
            "Writes the projected PEFT adapter and safelora_report.json (mode, threshold, Pdst, cosine per module) to --out.",
            "Modes: threshold (project modules with cos <= --threshold), top-k (exactly the --top-k K modules with the lowest cos),",
            "explicit (the modules of --layers 0,5,7 or the --modules named).",
            "The selection is always by SafeLoRA's cosine; --remedy says what happens to the selected modules:",
            "project (default, SafeLoRA's B := C B with C = V V^T / ||V||_F), subspace (the orthogonal projector onto the top",
            "--rank K left singular vectors of V, default K = the LoRA rank r; it never enlarges an update), zero (B := 0),",
            "shrink (B scaled to the norm SafeLoRA's projection would give the update). --mode subspace is kept as a",
            "synonym of --mode threshold --remedy subspace. The report gives per module the cosine, the signed alignment",
            "score <B A, V> / (||B A|| ||V||) (negative: the update reverses the alignment) and the norm ratio after the remedy.",
            "--mode auto --model DIR --safety FILE [--task FILE] [--epsilon E] [--delta D]: the smallest K (lowest cosines first)",
            "whose remedied adapter refuses the --safety prompts within E (default 0.05) of --model alone, stopping before task",
            "accuracy falls more than D (default 0.1) below the raw adapter's; the report's 'auto' holds K, the curve and why it stopped."})
final class ProjectCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "PEFT adapter directory (adapter_config.json + adapter_model.safetensors).")
    Path adapterDir;

    static final class Source {
        @Option(names = "--alignment", required = true, paramLabel = "DIR", description = "Alignment artifact written by 'safelora align'.")
        Path alignment;

        @ArgGroup(exclusive = false)
        Pair pair;
    }

    static final class Pair {
        @Option(names = "--base", required = true, paramLabel = "DIR", description = "Base model directory (instead of --alignment).")
        Path base;

        @Option(names = "--aligned", required = true, paramLabel = "DIR", description = "Aligned model directory (with --base).")
        Path aligned;

        @Option(names = "--exact-difference", description = "With --base/--aligned: V exact in float instead of rounded to the"
                + " checkpoints' 16-bit dtype as PEFT computes it.")
        boolean exactDifference;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory for the projected adapter and report.")
    Path out;

    /** Which modules are projected, and how ({@code subspace} is an extension beyond the paper). */
    enum Mode { THRESHOLD, TOP_K, EXPLICIT, SUBSPACE, AUTO }

    @Option(names = "--mode", defaultValue = "threshold", paramLabel = "threshold|top-k|explicit|subspace|auto",
            description = "Selection (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--remedy", defaultValue = "project", paramLabel = "project|subspace|zero|shrink",
            description = "What to do with the selected modules (default: ${DEFAULT-VALUE}).")
    Remedy remedy;

    @Option(names = "--rank", paramLabel = "K", description = "subspace remedy: the number of top left singular vectors of V to"
            + " project onto (default: each module's LoRA rank r).")
    Integer rank;

    @Option(names = "--threshold", paramLabel = "TAU", description = "Threshold mode: project modules with cos <= TAU (default 0.5).")
    Double threshold;

    @Option(names = "--top-k", paramLabel = "K", description = "top-k: the number K of modules to project (the K lowest cosines).")
    Integer topK;

    @Option(names = "--layers", split = ",", paramLabel = "LIST", description = "explicit: layer indices, e.g. 0,5,7.")
    Set<Integer> layers;

    @Option(names = "--modules", split = ",", paramLabel = "LIST", description = "explicit: full module names, e.g. model.layers.3.self_attn.q_proj.")
    Set<String> moduleNames;

    @Option(names = "--model", paramLabel = "DIR", description = "auto: the model the adapter applies to (the aligned model)")
    Path model;

    @Option(names = "--safety", paramLabel = "FILE", description = "auto: validation harmful prompts (JSONL)")
    Path safety;

    @Option(names = "--task", paramLabel = "FILE", description = "auto: task prompts with reference answers (the utility budget)")
    Path task;

    @Option(names = "--epsilon", paramLabel = "E", description = "auto: refusal tolerance below the aligned model (default 0.05)")
    Double epsilon;

    @Option(names = "--delta", paramLabel = "D", description = "auto: task-accuracy budget below the raw adapter (default 0.1)")
    Double delta;

    @Option(names = "--max-new-tokens", defaultValue = "64", paramLabel = "N", description = "auto: generation budget (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--device", converter = DeviceSyntax.class, defaultValue = "cpu", paramLabel = "cpu|cuda|cuda:N", description = "auto: default ${DEFAULT-VALUE}")
    String device;

    @picocli.CommandLine.Mixin
    TemplateOption template;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public Integer call() {
        // the vector kernels' JIT warm-up runs on the other core while the adapter and alignment are opened, if Main
        // has not started it already (the bf16 ones read an artifact's bf16 V without a float copy; the others serve the rest)
        KernelWarmUp.start(kernels());
        Selection selection = selection();
        if (OutputPaths.sameLocation(adapterDir, out)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out must differ from --adapter (the input adapter is never overwritten)");
        }
        PeftAdapter adapter = PeftAdapter.read(adapterDir);
        SafeLoraProjector.Result result;
        try (AlignmentSource alignment = openAlignment(adapter)) {
            // on this thread while the kernels' warm-up finishes on the other
            SafeLoraProjector.warmUpBookkeeping();
            if (mode == Mode.AUTO) {
                result = auto(adapter, alignment);
            } else {
                result = SafeLoraProjector.project(adapter, alignment, selection, remedy(), rank == null ? 0 : rank,
                        new StderrProgress(spec.commandLine().getErr(), "project"));
            }
        }
        result.adapter().write(out);
        writeReport(out, result.report());
        ProjectionReport r = result.report();
        var stdout = spec.commandLine().getOut();
        stdout.printf("%s %d of %d modules (%s), Pdst %.4f -> %s%n", remedyVerb(r.remedy()), r.projectedCount(), r.modules().size(),
                describe(r), r.pdst(), out);
        stdout.flush();
        return 0;
    }

    private AlignmentSource openAlignment(PeftAdapter adapter) {
        if (source.alignment != null) {
            return AlignmentArtifact.open(source.alignment);
        }
        // only the adapter's own modules are read from the checkpoints
        return CheckpointPair.open(source.pair.base, source.pair.aligned, adapter.modules().keySet())
                .difference(source.pair.exactDifference ? CheckpointPair.Difference.EXACT : CheckpointPair.Difference.AS_PEFT);
    }

    private SafeLoraProjector.Result auto(PeftAdapter adapter, AlignmentSource alignment) {
        EvaluationConfig config = OneLineErrors.optionValue(spec, () -> new EvaluationConfig(template.template, maxNewTokens,
                KeywordJudge.DEFAULT_REFUSAL_PHRASES, 4, 512));
        StderrProgress progress = new StderrProgress(spec.commandLine().getErr(), "auto");
        Path work;
        try {
            work = Files.createTempDirectory("safelora-auto");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a scratch directory: " + e.getMessage(), e);
        }
        try {
            return AutoSelectionRunner.run(adapter, adapterDir, alignment, remedy(), rank == null ? 0 : rank,
                    epsilon == null ? AutoSelection.DEFAULT_EPSILON : epsilon, delta == null ? AutoSelection.DEFAULT_DELTA : delta,
                    new AutoSelectionRunner.Setup(model, model, safety, task, config, device), work,
                    k -> progress.step(k, adapter.modules().size(), "K = " + k + " evaluated"));
        } finally {
            FileTrees.deleteQuietly(work);
        }
    }

    /** The kernels this projection uses (what {@link KernelWarmUp#kernelsFor} predicts from the raw arguments). */
    KernelWarmUp.Kernels kernels() {
        return source.alignment != null && remedy() != Remedy.SUBSPACE ? KernelWarmUp.Kernels.BF16 : KernelWarmUp.Kernels.FLOAT;
    }

    /** {@code --mode subspace} predates {@code --remedy}: it means threshold selection with the subspace remedy. */
    private Remedy remedy() {
        return mode == Mode.SUBSPACE ? Remedy.SUBSPACE : remedy;
    }

    private static String remedyVerb(String remedy) {
        return switch (remedy) {
            case "zero" -> "zeroed";
            case "shrink" -> "shrank";
            case "subspace" -> "projected (subspace)";
            default -> "projected";
        };
    }

    private Selection selection() {
        if (mode == Mode.SUBSPACE && remedy != Remedy.PROJECT && remedy != Remedy.SUBSPACE) {
            throw usage("--mode subspace is --mode threshold --remedy subspace; it cannot take --remedy " + remedy.cliName());
        }
        if (rank != null && remedy() != Remedy.SUBSPACE) {
            throw usage("--rank applies to --remedy subspace only");
        }
        if (rank != null && rank <= 0) {
            throw usage("--rank needs a positive number of singular vectors, got " + rank);
        }
        if (topK != null && mode != Mode.TOP_K) {
            throw usage("--top-k applies to --mode top-k only");
        }
        if ((layers != null || moduleNames != null) && mode != Mode.EXPLICIT) {
            throw usage("--layers and --modules apply to --mode explicit only");
        }
        if ((model != null || safety != null || task != null || epsilon != null || delta != null) && mode != Mode.AUTO) {
            throw usage("--model, --safety, --task, --epsilon and --delta apply to --mode auto only");
        }
        if (threshold != null && !(threshold >= -1 && threshold <= 1)) {
            throw usage("--threshold is a cosine, from -1 to 1; got " + threshold);
        }
        if (threshold != null && mode != Mode.THRESHOLD && mode != Mode.SUBSPACE) {
            throw usage("--threshold applies to --mode threshold and subspace only");
        }
        try {
            return switch (mode) {
                case AUTO -> {
                    if (model == null || safety == null) {
                        throw usage("--mode auto needs --model DIR and --safety FILE (validation harmful prompts)");
                    }
                    if (epsilon != null && !(epsilon >= 0 && epsilon <= 1) || delta != null && !(delta >= 0 && delta <= 1)) {
                        throw usage("--epsilon and --delta must be in [0, 1]");
                    }
                    yield Selection.topK(0); // resolved by the search
                }
                case THRESHOLD, SUBSPACE -> Selection.threshold(threshold == null ? Selection.DEFAULT_THRESHOLD : threshold);
                case TOP_K -> {
                    if (topK == null) {
                        throw usage("--mode top-k needs --top-k K (how many modules to project)");
                    }
                    yield Selection.topK(topK);
                }
                case EXPLICIT -> {
                    if ((layers == null) == (moduleNames == null)) {
                        throw usage("--mode explicit needs either --layers LIST or --modules LIST");
                    }
                    yield layers != null ? Selection.layers(new LinkedHashSet<>(layers)) : Selection.modules(moduleNames);
                }
            };
        } catch (CommandLine.ParameterException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private static String describe(ProjectionReport r) {
        if (r.auto() != null) {
            return "auto: K = " + r.auto().chosenK() + ", " + r.auto().stopReason().name().toLowerCase(java.util.Locale.ROOT)
                    + ", target refusal " + String.format(java.util.Locale.ROOT, "%.3f", r.auto().targetRefusal());
        }
        if (r.threshold() != null) {
            return "threshold " + r.threshold();
        }
        if (r.topK() != null) {
            return "top-k " + r.topK();
        }
        if (r.layers() != null) {
            return "explicit layers " + r.layers();
        }
        return "explicit modules " + (r.selectedModules() == null ? "[]" : Arrays.toString(
                r.selectedModules().stream().sorted(ModuleNames.NATURAL_ORDER).toArray()));
    }

    private static void writeReport(Path dir, ProjectionReport report) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(ProjectionReport.FILE + ".partial");
            JSON.writeValue(tmp.toFile(), report);
            Files.move(tmp, dir.resolve(ProjectionReport.FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write " + ProjectionReport.FILE + ": " + e.getMessage(), e);
        }
    }
}
