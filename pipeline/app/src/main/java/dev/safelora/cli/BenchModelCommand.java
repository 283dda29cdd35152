package dev.safelora.cli;

import dev.safelora.model.ModelBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench-model", mixinStandardHelpOptions = true, hidden = true,
        description = "Benchmarks the model on the CPU: forward and forward+backward tokens/s, overhead outside libtorch"
                + " kernels, and resident memory over thousands of calls.")
final class BenchModelCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--layers", defaultValue = "4") int layers;
    @Option(names = "--hidden", defaultValue = "256") int hidden;
    @Option(names = "--heads", defaultValue = "8") int heads;
    @Option(names = "--kv-heads", defaultValue = "4") int kvHeads;
    @Option(names = "--batch", defaultValue = "4") int batch;
    @Option(names = "--seq", defaultValue = "128") int seq;
    @Option(names = "--iterations", defaultValue = "5", description = "timed steps per measurement (default: ${DEFAULT-VALUE})")
    int iterations;
    @Option(names = "--rounds", defaultValue = "3", description = "alternating rounds; the best is reported (default: ${DEFAULT-VALUE})")
    int rounds;
    @Option(names = "--threads", defaultValue = "0", description = "libtorch intra-op threads, 0 = libtorch's default")
    int threads;
    @Option(names = "--memory-calls", defaultValue = "4000", description = "forward calls in the RSS check (default: ${DEFAULT-VALUE})")
    int memoryCalls;

    @Override
    public Integer call() throws Exception {
        ModelBenchmark.run(new ModelBenchmark.Options(layers, hidden, heads, kvHeads, batch, seq, iterations, rounds, memoryCalls, threads),
                spec.commandLine().getOut());
        return 0;
    }
}
