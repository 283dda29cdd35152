package dev.safelora.cli;

import dev.safelora.bench.SafeLoraBenchmark;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Hidden: the align + project benchmark on Llama-2-7B shapes (run with SAFELORA_JAVA_OPTS=-Xmx1g). */
@Command(name = "bench-safelora", hidden = true, mixinStandardHelpOptions = true,
        description = "Benchmark align + project on synthetic Llama-2-7B-shaped bf16 checkpoints against the naive full-C path.")
final class BenchSafeLoraCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Unmatched
    List<String> args = new java.util.ArrayList<>();

    @Override
    public Integer call() {
        SafeLoraBenchmark.run(args.toArray(String[]::new), spec.commandLine().getOut());
        return 0;
    }
}
