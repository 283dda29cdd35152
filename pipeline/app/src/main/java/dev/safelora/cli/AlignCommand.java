package dev.safelora.cli;

import dev.safelora.alignment.Aligner;
import dev.safelora.alignment.AlignmentManifest;
import dev.safelora.alignment.CheckpointPair;
import dev.safelora.alignment.TargetModules;
import dev.safelora.tensor.DType;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code safelora align}: the alignment artifact (V of every target module) of a base/aligned checkpoint pair. */
@Command(name = "align", mixinStandardHelpOptions = true,
        description = {"Compute the SafeLoRA alignment V = W_aligned - W_base of every target module, streaming one module at a time.",
            "Writes alignment.safetensors (V per module; a bf16 V transposed, as alignment.json's layout says) and alignment.json",
            "(names, shapes, Frobenius norms, sha256 of the sources)."})
final class AlignCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--base", required = true, paramLabel = "DIR", description = "Base model directory (safetensors, single or sharded).")
    Path base;

    @Option(names = "--aligned", required = true, paramLabel = "DIR", description = "Aligned (e.g. chat) model directory of the same shapes.")
    Path aligned;

    @Option(names = "--modules", required = true, split = ",", paramLabel = "LIST",
            description = "Target modules, e.g. q_proj,v_proj (last name component or full module name); 'all' for every projection.")
    List<String> modules;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory of the alignment artifact.")
    Path out;

    @Option(names = "--dtype", paramLabel = "f32|f16|bf16", description = "Storage dtype of V (default: the checkpoints' "
            + "16-bit dtype when V is rounded to it as PEFT does, which loses nothing; f32 otherwise).")
    DType dtype;

    @Option(names = "--on-zero", defaultValue = "exclude", paramLabel = "exclude|fail",
            description = "A module whose V is zero is excluded and reported, or fails the run (default: ${DEFAULT-VALUE}).")
    Aligner.OnZero onZero;

    @Option(names = "--exact-difference",
            description = "Keep V = aligned - base exact in float. By default V of two bf16/f16 checkpoints is rounded to that dtype,"
                    + " as PEFT's apply_safelora computes it, so cosines and selections match PEFT's.")
    boolean exactDifference;

    @Override
    public Integer call() {
        if (dtype != null && dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--dtype must be f32, f16 or bf16, got " + EnumOptions.cliName(dtype));
        }
        var targets = new LinkedHashSet<String>();
        TargetModules.expandAll(modules.stream().map(String::strip).filter(s -> !s.isEmpty()).toList()).forEach(targets::add);
        if (targets.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--modules names no module");
        }
        boolean outExisted = java.nio.file.Files.exists(out);
        AlignmentManifest m;
        try {
            m = Aligner.align(base, aligned, targets, out, new Aligner.Options(dtype, onZero,
                            exactDifference ? CheckpointPair.Difference.EXACT : CheckpointPair.Difference.AS_PEFT),
                    new StderrProgress(spec.commandLine().getErr(), "align"));
        } catch (RuntimeException e) {
            if (!outExisted) {
                dev.safelora.files.FileTrees.deleteQuietly(out); // a refused input leaves nothing behind
            }
            throw e;
        }
        var stdout = spec.commandLine().getOut();
        stdout.printf("aligned %d modules (%d excluded) -> %s%n", m.modules().size(), m.excluded().size(), out);
        for (AlignmentManifest.Excluded e : m.excluded()) {
            stdout.printf("  excluded %s: %s%n", e.name(), e.reason());
        }
        stdout.flush();
        return 0;
    }
}
