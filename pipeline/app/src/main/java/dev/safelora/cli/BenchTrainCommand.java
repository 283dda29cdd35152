package dev.safelora.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.bench.TrainingBenchmark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code safelora bench-train}: LoRA training throughput, with inputs for the PyTorch eager baseline. */
@Command(name = "bench-train", mixinStandardHelpOptions = true,
        description = {"Times LoRA training (tokens/s) on a generated Llama-style model.",
            "Writes the same model, micro-batches, learning rates and initial LoRA factors into --out for benchmarks/train_bench.py,",
            "which runs the identical loop in PyTorch eager and prints the ratio and the largest loss difference."})
final class BenchTrainCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where the model and the baseline's inputs go") Path out;
    @Option(names = "--hidden", defaultValue = "256", paramLabel = "N", description = "hidden size (default: ${DEFAULT-VALUE})") int hidden;
    @Option(names = "--intermediate", defaultValue = "688", paramLabel = "N", description = "MLP size (default: ${DEFAULT-VALUE})") int intermediate;
    @Option(names = "--layers", defaultValue = "4", paramLabel = "N", description = "layers (default: ${DEFAULT-VALUE})") int layers;
    @Option(names = "--heads", defaultValue = "8", paramLabel = "N", description = "attention heads (default: ${DEFAULT-VALUE})") int heads;
    @Option(names = "--seq-len", defaultValue = "128", paramLabel = "L", description = "tokens per example (default: ${DEFAULT-VALUE})") int seqLen;
    @Option(names = "--batch-size", defaultValue = "4", paramLabel = "B", description = "examples per micro-batch (default: ${DEFAULT-VALUE})") int batchSize;
    @Option(names = "--grad-accum", defaultValue = "1", paramLabel = "G", description = "micro-batches per step (default: ${DEFAULT-VALUE})") int gradAccum;
    @Option(names = "--steps", defaultValue = "16", paramLabel = "N", description = "timed steps after the untimed warm-up steps (default: ${DEFAULT-VALUE})") int steps;
    @Option(names = "--warmup-steps", defaultValue = "3", paramLabel = "N", description = "untimed steps first (default: ${DEFAULT-VALUE})") int warmupSteps;
    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "libtorch intra-op threads; give the baseline the same (default: ${DEFAULT-VALUE})") int threads;
    @Option(names = "--targets", split = ",", defaultValue = "q_proj,v_proj", paramLabel = "LIST", description = "LoRA target modules (default: ${DEFAULT-VALUE})") List<String> targets;
    @Option(names = "--rank", defaultValue = "8", paramLabel = "R", description = "LoRA rank (default: ${DEFAULT-VALUE})") int rank;

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(out);
        TrainingBenchmark.Result r = TrainingBenchmark.run(new TrainingBenchmark.Settings(hidden, intermediate, layers, heads,
                seqLen, batchSize, gradAccum, warmupSteps + steps, warmupSteps, threads, targets, rank, 1), out);
        Files.writeString(out.resolve("java_result.json"), new ObjectMapper().writeValueAsString(r));
        spec.commandLine().getOut().printf(Locale.ROOT, "java tokens/s %.1f (median step %.1f, per CPU second of the training thread %.1f; %d tokens in %.2f s, %d threads)%n"
                        + "baseline: OPENBLAS_NUM_THREADS=1 python3 benchmarks/train_bench.py %s%n",
                r.tokensPerSecond(), r.medianTokensPerSecond(), r.tokensPerCpuSecond(), r.timedTokens(), r.timedSeconds(), threads, out);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
