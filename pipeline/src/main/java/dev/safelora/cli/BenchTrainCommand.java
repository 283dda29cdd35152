package dev.safelora.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.training.TrainingBenchmark;
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
        description = {"Times LoRA training (tokens/s) on a generated Llama-style model and writes the same model,",
            "micro-batches, learning rates and initial LoRA factors into --out for benchmarks/train_bench.py,",
            "which runs the identical loop in PyTorch eager and prints the ratio and the largest loss difference."})
final class BenchTrainCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
    @Option(names = "--hidden", defaultValue = "256") int hidden;
    @Option(names = "--intermediate", defaultValue = "688") int intermediate;
    @Option(names = "--layers", defaultValue = "4") int layers;
    @Option(names = "--heads", defaultValue = "8") int heads;
    @Option(names = "--seq-len", defaultValue = "128") int seqLen;
    @Option(names = "--batch-size", defaultValue = "4") int batchSize;
    @Option(names = "--grad-accum", defaultValue = "1") int gradAccum;
    @Option(names = "--steps", defaultValue = "16", description = "timed steps after the untimed warm-up steps") int steps;
    @Option(names = "--warmup-steps", defaultValue = "3") int warmupSteps;
    @Option(names = "--threads", defaultValue = "1", description = "libtorch intra-op threads (give the baseline the same)") int threads;
    @Option(names = "--targets", split = ",", defaultValue = "q_proj,v_proj") List<String> targets;
    @Option(names = "--rank", defaultValue = "8") int rank;

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
