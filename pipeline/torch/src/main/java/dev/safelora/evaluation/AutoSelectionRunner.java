package dev.safelora.evaluation;

import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.Progress;
import dev.safelora.files.FileTrees;
import dev.safelora.projection.AutoSelection;
import dev.safelora.projection.Remedy;
import dev.safelora.projection.SafeLoraProjector;
import dev.safelora.projection.Selection;
import java.nio.file.Path;
import java.util.function.IntConsumer;

/**
 * AUTO selection with real evaluations: the aligned level is the reference model (the aligned checkpoint)
 * alone on the validation harmful set; K = 0 is the raw adapter; each further K is the adapter with its K lowest-cosine modules remedied,
 * written under {@code workDir} and evaluated with {@link EvaluationJob} (refusal on {@code safety},
 * accuracy on {@code task} when given). Returns the projection at the chosen K with the search in its report.
 */
public final class AutoSelectionRunner {

    /**
     * The data and models the search evaluates with.
     *
     * @param modelDir the model the adapter applies to
     * @param referenceModelDir the aligned model whose refusal rate is the target (often {@code modelDir} itself)
     */
    public record Setup(Path modelDir, Path referenceModelDir, Path safetyFile, Path taskFile, EvaluationConfig config, String device) {
        public Setup {
            if (safetyFile == null) {
                throw new IllegalArgumentException("AUTO selection needs a validation harmful prompt set");
            }
        }
    }

    private AutoSelectionRunner() {
    }

    /**
     * @param rawDir the raw adapter on disk (K = 0 is evaluated from it)
     * @param onStep told the K after each evaluation, e.g. to check for cancellation
     */
    public static SafeLoraProjector.Result run(PeftAdapter adapter, Path rawDir, AlignmentSource alignment, Remedy remedy, int subspaceRank,
                                               double epsilon, double delta, Setup setup, Path workDir, IntConsumer onStep) {
        EvaluationListener quiet = (phase, done, total) -> { };
        double aligned = new EvaluationJob(setup.referenceModelDir(), null, null, setup.safetyFile(), null, setup.config(), setup.device())
                .run(quiet).safety().refusalRate();
        AutoSelection.Result search = AutoSelection.search(adapter.modules().size(), aligned, epsilon, delta, k -> {
            Path dir = rawDir;
            if (k > 0) {
                dir = workDir.resolve("k-" + k);
                SafeLoraProjector.project(adapter, alignment, Selection.topK(k), remedy, subspaceRank, Progress.NONE).adapter().write(dir);
            }
            EvaluationReport r = new EvaluationJob(setup.modelDir(), dir, setup.taskFile(), setup.safetyFile(), null, setup.config(),
                    setup.device()).run(quiet);
            if (k > 0) {
                FileTrees.deleteQuietly(dir);
            }
            onStep.accept(k);
            return new AutoSelection.Step(k, r.safety().refusalRate(), r.task() == null ? null : r.task().accuracy());
        });
        SafeLoraProjector.Result chosen = SafeLoraProjector.project(adapter, alignment, Selection.topK(search.chosenK()), remedy,
                subspaceRank, Progress.NONE);
        return new SafeLoraProjector.Result(chosen.adapter(), chosen.report().withAuto(search));
    }
}
