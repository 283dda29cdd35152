package dev.safelora.cli;

import dev.safelora.generation.Generation;
import dev.safelora.generation.GenerationConfig;
import dev.safelora.generation.StopTokens;
import dev.safelora.generation.TextGenerator;
import dev.safelora.model.CausalLm;
import dev.safelora.tokenizer.TextTokenizer;
import dev.safelora.training.ModelText;
import dev.safelora.training.TrainingExample;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generates a continuation of a prompt with a model (and optionally a LoRA adapter); prints the new text.")
final class GenerateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the user prompt")
    String prompt;

    @Mixin
    TemplateOption template;

    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt for llama2-chat")
    String system;

    @Option(names = "--max-new-tokens", defaultValue = "64", paramLabel = "N", description = "default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--greedy", description = "always take the most likely token (ignores temperature and top-p)")
    boolean greedy;

    @Option(names = "--temperature", defaultValue = "0.7", paramLabel = "T", description = "default: ${DEFAULT-VALUE}")
    double temperature;

    @Option(names = "--top-p", defaultValue = "0.9", paramLabel = "P", description = "nucleus sampling mass (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--verbose", description = "also print token ids and why generation stopped, on stderr")
    boolean verbose;

    @Override
    public Integer call() {
        GenerationConfig config = OneLineErrors.optionValue(spec, () -> new GenerationConfig(maxNewTokens, greedy,
                greedy ? 1.0 : temperature, greedy ? 1.0 : topP, seed, Set.of()));
        CausalLm lm = modelOptions.load();
        Set<Long> stop = StopTokens.of(modelOptions.model, lm.config());
        try (TextTokenizer tokenizer = TextTokenizer.load(modelOptions.model)) {
            // the context exactly as training lays it out (docs/templates.md), without a response
            int[] context = template.template.promptIds(new TrainingExample(system, List.of(), prompt, ""),
                    ModelText.encoder(tokenizer), ModelText.specialTokens(lm.config()));
            Generation g = new TextGenerator(lm, tokenizer).generate(Arrays.stream(context).asLongStream().toArray(),
                    config.withStopTokens(stop));
            // generate(ids, ...) returns ids only (its text is null): decode the new ones here
            spec.commandLine().getOut().println(tokenizer.decode(g.newIds()));
            if (verbose) {
                spec.commandLine().getErr().println("prompt ids " + java.util.Arrays.toString(g.promptIds()) + ", new ids "
                        + java.util.Arrays.toString(g.newIds()) + ", finished: " + g.finishReason());
            }
        }
        return 0;
    }
}
