package dev.safelora.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.bench.TrainingBenchmark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    @Option(names = "--lengths", defaultValue = "fixed", paramLabel = "fixed|mixed", description = {"fixed: every example --seq-len tokens;",
        "mixed: lengths drawn (seeded) from a log-normal with median --seq-len/4, cut to [16, --seq-len] (default: ${DEFAULT-VALUE})"}) String lengths;
    @Option(names = "--compare", description = {"time the same examples three ways, each in a JVM of its own started by this command,",
        "in turn: as the trainer ran before (shuffled batches, padding mask to attention), shuffled with the causal fast path",
        "(the default now), and grouped by length on the causal path (--group-by-length); prints tokens/s and peak RSS of each and their ratios to the first"}) boolean compare;
    @Option(names = "--repeats", defaultValue = "1", paramLabel = "N", description = "with --compare, run the three modes in turn N times and report medians (default: ${DEFAULT-VALUE})") int repeats;
    @Option(names = "--mode", hidden = true, paramLabel = "MODE", description = "run one mode only (what --compare starts)") TrainingBenchmark.Mode mode;

    @Override
    public Integer call() throws IOException {
        if (!lengths.equals("fixed") && !lengths.equals("mixed")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--lengths must be fixed or mixed, got " + lengths);
        }
        Files.createDirectories(out);
        TrainingBenchmark.Settings settings = new TrainingBenchmark.Settings(hidden, intermediate, layers, heads,
                seqLen, batchSize, gradAccum, warmupSteps + steps, warmupSteps, threads, targets, rank, 1, lengths.equals("mixed"));
        java.io.PrintWriter w = spec.commandLine().getOut();
        if (compare) {
            return compare(w);
        }
        if (mode != null) {
            TrainingBenchmark.Result r = TrainingBenchmark.run(settings, out, mode);
            Files.writeString(out.resolve("java_result.json"), new ObjectMapper().writeValueAsString(r));
            return 0;
        }
        TrainingBenchmark.Result r = TrainingBenchmark.run(settings, out);
        Files.writeString(out.resolve("java_result.json"), new ObjectMapper().writeValueAsString(r));
        w.printf(Locale.ROOT, "java tokens/s %.1f (median step %.1f, per CPU second of the training thread %.1f; %d tokens in %.2f s, %d threads)%n"
                        + "baseline: OPENBLAS_NUM_THREADS=1 python3 benchmarks/train_bench.py %s%n",
                r.tokensPerSecond(), r.medianTokensPerSecond(), r.tokensPerCpuSecond(), r.timedTokens(), r.timedSeconds(), threads, out);
        w.flush();
        return 0;
    }

    /** Each mode in a JVM of its own (so each has its own peak RSS), in turn, {@code repeats} times; medians and ratios. */
    private int compare(java.io.PrintWriter w) throws IOException {
        if (repeats < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--repeats must be >= 1, got " + repeats);
        }
        List<TrainingBenchmark.Mode> modes = List.of(TrainingBenchmark.Mode.values());
        Map<TrainingBenchmark.Mode, List<TrainingBenchmark.Result>> runs = new java.util.EnumMap<>(TrainingBenchmark.Mode.class);
        ObjectMapper json = new ObjectMapper();
        for (int repeat = 0; repeat < repeats; repeat++) {
            for (TrainingBenchmark.Mode m : modes) {
                Path dir = out.resolve(m.name().toLowerCase(Locale.ROOT) + "-" + repeat);
                runChild(m, dir);
                runs.computeIfAbsent(m, k -> new java.util.ArrayList<>())
                        .add(json.readValue(dir.resolve("java_result.json").toFile(), TrainingBenchmark.Result.class));
            }
        }
        Files.writeString(out.resolve("compare_result.json"), json.writeValueAsString(runs));
        w.printf(Locale.ROOT, "%s lengths, %d timed steps of %d x %d, %d thread(s), %d repeat(s) of each mode in its own JVM, medians;"
                + " tokens are real ones, padding not counted%n", lengths, steps, batchSize, gradAccum, threads, repeats);
        w.printf(Locale.ROOT, "%-44s %9s %9s %10s %8s %9s %9s  %s%n", "mode", "tokens/s", "median/s", "per CPU s",
                "computed", "timed", "peak RSS", "ratio to the first: tokens/s, median, per CPU s; peak RSS");
        double[] base = null;
        for (TrainingBenchmark.Mode m : modes) {
            List<TrainingBenchmark.Result> rs = runs.get(m);
            double[] v = {median(rs, TrainingBenchmark.Result::tokensPerSecond), median(rs, TrainingBenchmark.Result::medianTokensPerSecond),
                median(rs, TrainingBenchmark.Result::tokensPerCpuSecond), median(rs, r -> r.peakRssKb() / 1024.0)};
            base = base == null ? v : base;
            w.printf(Locale.ROOT, "%-44s %9.1f %9.1f %10.1f %8d %9d %6.0f MB  %.2f, %.2f, %.2f; %.2f%n", m.description, v[0], v[1], v[2],
                    rs.get(0).paddedTokens(), rs.get(0).timedTokens(), v[3], v[0] / base[0], v[1] / base[1], v[2] / base[2], v[3] / base[3]);
        }
        w.printf(Locale.ROOT, "(timed = real tokens in the timed steps, computed = positions they ran, padding included;"
                + " peak RSS = the whole JVM's; every run's figures in %s)%n", out.resolve("compare_result.json"));
        w.flush();
        return 0;
    }

    private static double median(List<TrainingBenchmark.Result> rs, java.util.function.ToDoubleFunction<TrainingBenchmark.Result> f) {
        double[] v = rs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** This command again with {@code --mode}, in a new JVM with this one's options and class path. */
    private void runChild(TrainingBenchmark.Mode m, Path dir) throws IOException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench-train",
                "--out", dir.toString(), "--mode", m.name(), "--lengths", lengths,
                "--hidden", Integer.toString(hidden), "--intermediate", Integer.toString(intermediate),
                "--layers", Integer.toString(layers), "--heads", Integer.toString(heads), "--seq-len", Integer.toString(seqLen),
                "--batch-size", Integer.toString(batchSize), "--grad-accum", Integer.toString(gradAccum),
                "--steps", Integer.toString(steps), "--warmup-steps", Integer.toString(warmupSteps),
                "--threads", Integer.toString(threads), "--targets", String.join(",", targets), "--rank", Integer.toString(rank)));
        Process child = new ProcessBuilder(cmd).inheritIO().start();
        try {
            int rc = child.waitFor();
            if (rc != 0) {
                throw new IllegalStateException("the " + m + " run exited with " + rc);
            }
        } catch (InterruptedException e) {
            child.destroy();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the " + m + " run was going", e);
        }
    }
}
