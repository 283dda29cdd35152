package dev.safelora.cli;

import dev.safelora.toy.ToyFamily;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code safelora toy-family}: a base model, its safety-aligned sibling and the data sets that show SafeLoRA's effect. */
@Command(name = "toy-family", mixinStandardHelpOptions = true,
        description = {"Generates a model family aligned for real, and its fine-tune and evaluation sets, from one seed.",
            "base/: a tiny Llama trained (LoRA on every projection, merged) on a small template language, in which it",
            "complies with every request, and on a counting task; aligned/: base plus a merged LoRA trained to refuse",
            "harmful requests and still answer benign ones; data/: harmful-ft, benign-ft, mix-ft and the eval-* sets;",
            "family.json: the splits and the training losses. Prompts use the raw template."})
final class ToyFamilyCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the directory to write (absent or empty)")
    Path out;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "seed of the language, the data and the training (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException(out + ": output directory is not empty");
                }
            }
        }
        var err = spec.commandLine().getErr();
        long start = System.nanoTime();
        ToyFamily.Paths paths = ToyFamily.generate(out, seed, line -> {
            err.println(line);
            err.flush();
        });
        var stdout = spec.commandLine().getOut();
        stdout.printf(java.util.Locale.ROOT, "toy family (seed %d) in %s: base %s, aligned %s, data %s (%.1f s)%n", seed, out,
                paths.base(), paths.aligned(), paths.data(), (System.nanoTime() - start) / 1e9);
        stdout.flush();
        return 0;
    }
}
