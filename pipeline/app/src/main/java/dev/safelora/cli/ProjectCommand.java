package dev.safelora.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.safelora.adapter.ModuleNames;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.CheckpointPair;
import dev.safelora.projection.ProjectionReport;
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
            "Extension beyond the paper: --mode subspace --rank K projects with the orthogonal projector onto the top-K left",
            "singular vectors of V instead of C = V V^T / ||V||_F (modules with cos <= --threshold, default 0.5)."})
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
    enum Mode { THRESHOLD, TOP_K, EXPLICIT, SUBSPACE }

    @Option(names = "--mode", defaultValue = "threshold", paramLabel = "threshold|top-k|explicit|subspace",
            description = "Selection (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--rank", paramLabel = "K", description = "subspace mode: the number of top left singular vectors of V to project onto.")
    Integer rank;

    @Option(names = "--threshold", paramLabel = "TAU", description = "Threshold mode: project modules with cos <= TAU (default 0.5).")
    Double threshold;

    @Option(names = "--top-k", paramLabel = "K", description = "top-k: the number K of modules to project (the K lowest cosines).")
    Integer topK;

    @Option(names = "--layers", split = ",", paramLabel = "LIST", description = "explicit: layer indices, e.g. 0,5,7.")
    Set<Integer> layers;

    @Option(names = "--modules", split = ",", paramLabel = "LIST", description = "explicit: full module names, e.g. model.layers.3.self_attn.q_proj.")
    Set<String> moduleNames;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public Integer call() {
        Selection selection = selection();
        if (OutputPaths.sameLocation(adapterDir, out)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out must differ from --adapter (the input adapter is never overwritten)");
        }
        PeftAdapter adapter = PeftAdapter.read(adapterDir);
        SafeLoraProjector.Result result;
        try (AlignmentSource alignment = openAlignment(adapter)) {
            result = SafeLoraProjector.project(adapter, alignment, selection, subspace() ? rank : 0,
                    new StderrProgress(spec.commandLine().getErr(), "project"));
        }
        result.adapter().write(out);
        writeReport(out, result.report());
        ProjectionReport r = result.report();
        var stdout = spec.commandLine().getOut();
        stdout.printf("projected %d of %d modules (%s), Pdst %.4f -> %s%n", r.projectedCount(), r.modules().size(), describe(r), r.pdst(), out);
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

    private boolean subspace() {
        return mode == Mode.SUBSPACE;
    }

    private Selection selection() {
        if (rank != null && mode != Mode.SUBSPACE) {
            throw usage("--rank applies to --mode subspace only");
        }
        if (topK != null && mode != Mode.TOP_K) {
            throw usage("--top-k applies to --mode top-k only");
        }
        if ((layers != null || moduleNames != null) && mode != Mode.EXPLICIT) {
            throw usage("--layers and --modules apply to --mode explicit only");
        }
        if (threshold != null && mode != Mode.THRESHOLD && mode != Mode.SUBSPACE) {
            throw usage("--threshold applies to --mode threshold and subspace only");
        }
        try {
            return switch (mode) {
                case SUBSPACE -> {
                    if (rank == null || rank <= 0) {
                        throw usage("--mode subspace needs --rank K (a positive number of singular vectors)");
                    }
                    yield Selection.threshold(threshold == null ? Selection.DEFAULT_THRESHOLD : threshold);
                }
                case THRESHOLD -> Selection.threshold(threshold == null ? Selection.DEFAULT_THRESHOLD : threshold);
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
        if (r.rank() != null) {
            return "subspace rank " + r.rank() + ", threshold " + r.threshold();
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
