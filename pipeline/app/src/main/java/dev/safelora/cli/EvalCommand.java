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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code safelora eval}: held-out perplexity, task accuracy and keyword-judged safety, as JSON. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluates a model, with or without a PEFT adapter, and writes a JSON report.",
            "--heldout: mean response-token loss and perplexity; --task: accuracy of greedy answers, the number after",
            "'####' or else the last number, compared with the reference's; --safety [NAME=]FILE (repeatable): the keyword",
            "judge's refusal rate and attack success rate (1 - refusal rate) per named set of harmful prompts, with a verdict",
            "per prompt; --benign: the judge's over-refusal rate on benign prompts. Files are JSONL in the shapes 'train' reads;",
            "task, safety and benign lines need no response. The report's keys are camelCase.",
            "The headline numbers (task accuracy, refusal and attack success per set, over-refusal, held-out loss) are also",
            "printed as a short summary: on stdout with --out, on stderr when the JSON report goes to stdout."})
final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--task", paramLabel = "FILE", description = "task prompts with reference answers (GSM8K style)")
    Path task;

    @Option(names = "--safety", paramLabel = "[NAME=]FILE",
            description = "harmful prompts for the keyword judge; repeat with names (harmful=a.jsonl --safety novel=b.jsonl)"
                    + " for one result per set; a file without a name is reported as 'harmful'")
    List<String> safety;

    @Option(names = "--benign", paramLabel = "FILE", description = "benign prompts: the keyword judge's refusals there are over-refusals")
    Path benign;

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
        if (task == null && safety == null && benign == null && heldout == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give at least one of --task, --safety, --benign, --heldout");
        }
        if (out != null && Files.isDirectory(out)) {
            // found before the evaluation, not after it
            throw new IllegalArgumentException("--out " + out + " is a directory; give the report's file name");
        }
        Map<String, Path> safetySets = safetySets();
        List<String> phrases = phrases();
        EvaluationConfig config = OneLineErrors.optionValue(spec, () -> new EvaluationConfig(template.template,
                maxNewTokens, phrases, batchSize, maxSeqLen));
        StderrProgress progress = new StderrProgress(spec.commandLine().getErr(), "eval");
        EvaluationReport report = new EvaluationJob(modelOptions.model, modelOptions.adapter, task, safetySets, benign, heldout, config,
                modelOptions.device)
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
                throw new UncheckedIOException("cannot write " + out + ": " + (e instanceof java.nio.file.FileSystemException fs
                        && fs.getReason() != null ? fs.getReason() : OneLineErrors.describe(e)), e);
            }
        }
        // the JSON on stdout stays the only thing there; with --out, stdout is free for people
        java.io.PrintWriter summary = out == null ? spec.commandLine().getErr() : spec.commandLine().getOut();
        EvaluationSummary.lines(report).forEach(summary::println);
        if (out != null) {
            summary.println("  report: " + out);
        }
        summary.flush();
        return 0;
    }

    /** {@code --safety} values as name -> file in the order given; a bare file is named "harmful". */
    private Map<String, Path> safetySets() {
        Map<String, Path> sets = new LinkedHashMap<>();
        for (String value : safety == null ? List.<String>of() : safety) {
            int eq = value.indexOf('=');
            String name = eq < 0 ? EvaluationJob.DEFAULT_SAFETY_SET : value.substring(0, eq).strip();
            String file = eq < 0 ? value : value.substring(eq + 1).strip();
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*") || file.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--safety must be FILE or NAME=FILE with a name of letters, digits, '.', '_' or '-', got " + value);
            }
            if (sets.put(name, Path.of(file)) != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--safety names the set '" + name + "' twice");
            }
        }
        return sets;
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
