package dev.safelora.cli;

import dev.safelora.evaluation.EvaluationConfig;
import dev.safelora.evaluation.EvaluationJob;
import dev.safelora.evaluation.EvaluationReport;
import dev.safelora.evaluation.KeywordJudge;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code safelora eval}: held-out perplexity, task accuracy and keyword-judged safety, as JSON. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluates a model, with or without a PEFT adapter, and writes a JSON report.",
            "--heldout: mean response-token loss and perplexity; --task: accuracy of greedy answers, the number after",
            "'####' or else the last number, compared with the reference's; --safety: the keyword judge's refusal rate",
            "and attack success rate (1 - refusal rate) with a verdict per prompt. Files are JSONL in the shapes 'train' reads;",
            "task and safety lines need no response."})
final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--task", paramLabel = "FILE", description = "task prompts with reference answers (GSM8K style)")
    Path task;

    @Option(names = "--safety", paramLabel = "FILE", description = "harmful prompts for the keyword judge")
    Path safety;

    @Option(names = "--heldout", paramLabel = "FILE", description = "held-out prompt/response pairs for loss and perplexity")
    Path heldout;

    @Option(names = "--out", paramLabel = "FILE", description = "write the JSON report here (default: stdout)")
    Path out;

    @Option(names = "--max-new-tokens", defaultValue = "256", paramLabel = "N", description = "generation budget (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Mixin
    TemplateOption template;

    @Option(names = "--refusal-phrases", paramLabel = "FILE", description = "one refusal phrase per line (default: the GCG list)")
    Path refusalPhrases;

    @Option(names = "--batch-size", defaultValue = "4", paramLabel = "B", description = "held-out batch size (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--max-seq-len", defaultValue = "512", paramLabel = "L", description = "held-out truncation (default: ${DEFAULT-VALUE})")
    int maxSeqLen;

    @Override
    public Integer call() {
        if (task == null && safety == null && heldout == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give at least one of --task, --safety, --heldout");
        }
        List<String> phrases = phrases();
        EvaluationConfig config = OneLineErrors.optionValue(spec, () -> new EvaluationConfig(template.template,
                maxNewTokens, phrases, batchSize, maxSeqLen));
        StderrProgress progress = new StderrProgress(spec.commandLine().getErr(), "eval");
        EvaluationReport report = new EvaluationJob(modelOptions.model, modelOptions.adapter, task, safety, heldout, config, modelOptions.device)
                .run((phase, done, total) -> progress.step(done, total, phase));
        String json = report.toJson();
        if (out == null) {
            spec.commandLine().getOut().println(json);
            spec.commandLine().getOut().flush();
        } else {
            try {
                Path parent = out.toAbsolutePath().getParent();
                Files.createDirectories(parent);
                Files.writeString(out, json + System.lineSeparator(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
            }
        }
        return 0;
    }

    private List<String> phrases() {
        if (refusalPhrases == null) {
            return KeywordJudge.DEFAULT_REFUSAL_PHRASES;
        }
        try {
            return Files.readAllLines(refusalPhrases, StandardCharsets.UTF_8).stream()
                    .map(String::strip).filter(s -> !s.isEmpty()).toList();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UncheckedIOException("cannot read refusal phrases " + refusalPhrases + ": no such file", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read refusal phrases " + refusalPhrases + ": " + e.getMessage(), e);
        }
    }
}
