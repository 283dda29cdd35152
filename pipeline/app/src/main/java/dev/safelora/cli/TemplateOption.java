package dev.safelora.cli;

import dev.safelora.training.PromptTemplate;
import picocli.CommandLine.Option;

/** {@code --template}: how prompts become model text, the same for train, eval and generate (docs/templates.md). */
final class TemplateOption {

    @Option(names = "--template", defaultValue = "raw", paramLabel = "raw|plain|llama2-chat",
            description = "prompt template; evaluate and generate with the one the adapter was trained with (default: ${DEFAULT-VALUE})")
    PromptTemplate template;
}
