package dev.safelora.evaluation;

import dev.safelora.model.Adapters;
import dev.safelora.model.CausalLm;
import dev.safelora.model.ComputeDevice;
import dev.safelora.tokenizer.TextTokenizer;
import dev.safelora.training.Dataset;
import dev.safelora.training.DatasetReader;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One evaluation from files: the model directory, an optional PEFT adapter to apply, and any of
 * a task file, named sets of harmful prompts, a file of benign prompts (over-refusal) and a held-out
 * file (JSONL, the shapes {@link DatasetReader} reads). At least one input is needed. This is what the
 * CLI's {@code eval} and the trainer stage call, once for the raw and once for the projected adapter.
 */
public record EvaluationJob(Path modelDir, Path adapterDir, Path taskFile, Map<String, Path> safetySets, Path benignFile,
                            Path heldoutFile, EvaluationConfig config, String device) {

    /** The name a single, unnamed safety set gets in the report. */
    public static final String DEFAULT_SAFETY_SET = "harmful";

    public EvaluationJob {
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(config, "config");
        safetySets = safetySets == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(safetySets));
        if (taskFile == null && safetySets.isEmpty() && benignFile == null && heldoutFile == null) {
            throw new IllegalArgumentException("nothing to evaluate: give a task, safety, benign or held-out file");
        }
    }

    /** At most one safety file (reported as {@value #DEFAULT_SAFETY_SET}) and no benign prompts. */
    public EvaluationJob(Path modelDir, Path adapterDir, Path taskFile, Path safetyFile, Path heldoutFile, EvaluationConfig config,
                         String device) {
        this(modelDir, adapterDir, taskFile, safetyFile == null ? Map.of() : Map.of(DEFAULT_SAFETY_SET, safetyFile), null,
                heldoutFile, config, device);
    }

    /** Loads the model (and the adapter), evaluates, and frees the model before returning. */
    public EvaluationReport run(EvaluationListener listener) {
        Inputs inputs = readInputs();
        try (CausalLm model = CausalLm.load(modelDir, ComputeDevice.parse(device == null ? "cpu" : device))) {
            if (adapterDir != null) {
                // One adapter on a model of its own: fold it into the weights, so decoding runs no LoRA branch.
                Adapters.apply(model, adapterDir);
                model.mergeLora();
            }
            return evaluate(model, inputs, listener, false);
        }
    }

    /**
     * Evaluates on {@code model}, already loaded from {@code modelDir}: whatever LoRA it carries is dropped
     * and this job's adapter (if any) installed, so one loaded model serves the raw and the projected
     * evaluation of a training job. The caller keeps owning the model; it is left with this job's adapter.
     */
    public EvaluationReport run(CausalLm model, EvaluationListener listener) {
        Inputs inputs = readInputs();
        model.removeLora();
        return evaluate(model, inputs, listener, true);
    }

    private record Inputs(Dataset task, Map<String, Dataset> safety, Dataset benign, Dataset heldout) {
    }

    // Every input is read first: a bad file fails before the model is loaded or changed.
    private Inputs readInputs() {
        Map<String, Dataset> safety = new LinkedHashMap<>();
        safetySets.forEach((name, file) -> safety.put(name, DatasetReader.readPrompts(file)));
        return new Inputs(taskFile == null ? null : DatasetReader.readPrompts(taskFile), safety,
                benignFile == null ? null : DatasetReader.readPrompts(benignFile),
                heldoutFile == null ? null : DatasetReader.readTraining(heldoutFile, false));
    }

    private EvaluationReport evaluate(CausalLm model, Inputs in, EvaluationListener listener, boolean applyAdapter) {
        if (applyAdapter && adapterDir != null) {
            Adapters.apply(model, adapterDir);
        }
        try (TextTokenizer tokenizer = TextTokenizer.load(modelDir)) {
            Evaluator evaluator = new Evaluator(model, tokenizer, config, listener,
                    dev.safelora.generation.StopTokens.of(modelDir, model.config()));
            Map<String, EvaluationReport.Safety> judged = new LinkedHashMap<>();
            in.safety().forEach((name, prompts) -> judged.put(name, evaluator.safety(prompts)));
            return new EvaluationReport(modelDir.toString(), adapterDir == null ? null : adapterDir.toString(),
                    config.template().cliName(),
                    in.heldout() == null ? null : evaluator.heldout(in.heldout()),
                    in.task() == null ? null : evaluator.task(in.task()),
                    judged,
                    in.benign() == null ? null : EvaluationReport.OverRefusal.of(evaluator.safety(in.benign())));
        }
    }
}
