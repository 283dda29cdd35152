package dev.safelora.evaluation;

import dev.safelora.model.Adapters;
import dev.safelora.model.CausalLm;
import dev.safelora.model.ComputeDevice;
import dev.safelora.tokenizer.TextTokenizer;
import dev.safelora.training.Dataset;
import dev.safelora.training.DatasetReader;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One evaluation from files: the model directory, an optional PEFT adapter to apply, and any of
 * a task file, a safety prompt file and a held-out file (JSONL, the shapes {@link DatasetReader}
 * reads). At least one of the three is needed. This is what the CLI's {@code eval} and the trainer
 * stage call, once for the raw and once for the projected adapter.
 */
public record EvaluationJob(Path modelDir, Path adapterDir, Path taskFile, Path safetyFile, Path heldoutFile,
                            EvaluationConfig config, String device) {

    public EvaluationJob {
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(config, "config");
        if (taskFile == null && safetyFile == null && heldoutFile == null) {
            throw new IllegalArgumentException("nothing to evaluate: give a task, safety or held-out file");
        }
    }

    public EvaluationReport run(EvaluationListener listener) {
        // Read every input first: a bad file fails before the model is loaded.
        Dataset task = taskFile == null ? null : DatasetReader.readPrompts(taskFile);
        Dataset safety = safetyFile == null ? null : DatasetReader.readPrompts(safetyFile);
        Dataset heldout = heldoutFile == null ? null : DatasetReader.readTraining(heldoutFile, false);
        CausalLm model = CausalLm.load(modelDir, ComputeDevice.parse(device == null ? "cpu" : device));
        if (adapterDir != null) {
            Adapters.apply(model, adapterDir);
        }
        try (TextTokenizer tokenizer = TextTokenizer.load(modelDir)) {
            Evaluator evaluator = new Evaluator(model, tokenizer, config, listener,
                    dev.safelora.generation.StopTokens.of(modelDir, model.config()));
            return new EvaluationReport(modelDir.toString(), adapterDir == null ? null : adapterDir.toString(),
                    config.template().cliName(),
                    heldout == null ? null : evaluator.heldout(heldout),
                    task == null ? null : evaluator.task(task),
                    safety == null ? null : evaluator.safety(safety));
        }
    }
}
