package dev.safelora.demo;

import dev.safelora.evaluation.EvaluationConfig;
import dev.safelora.evaluation.EvaluationJob;
import dev.safelora.evaluation.EvaluationListener;
import dev.safelora.evaluation.EvaluationReport;
import dev.safelora.evaluation.KeywordJudge;
import dev.safelora.training.PromptTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the stages do not measure and the summary needs beside their events: the aligned model itself (the
 * reference column), and over-refusal of benign requests by the aligned model and by the raw and projected adapters
 * the trainer published. Evaluated here with the same library, judge, template and generation budget as the
 * trainer stage, on the aligned checkpoint the adapters were fine-tuned from.
 */
final class DemoMeasurements {

    private static final EvaluationListener QUIET = (phase, done, total) -> { };

    private final DemoPaths paths;
    private final EvaluationConfig config;

    DemoMeasurements(DemoPaths paths) {
        this.paths = paths;
        this.config = new EvaluationConfig(PromptTemplate.RAW, DemoStages.EVAL_MAX_NEW_TOKENS, KeywordJudge.DEFAULT_REFUSAL_PHRASES,
                DemoRequests.BATCH_SIZE, DemoRequests.MAX_SEQ_LEN);
    }

    /** The aligned model: refusal on the reported half of the harmful set, over-refusal, accuracy per task set. */
    DemoResult.AlignedModel aligned(List<DemoFineTune> fineTunes) {
        Path reported = reportedHarmfulHalf();
        EvaluationReport safety = new EvaluationJob(paths.aligned(), null, null, Map.of(EvaluationJob.DEFAULT_SAFETY_SET, reported),
                paths.data(DemoFineTune.BENIGN_EVAL), null, config, "cpu").run(QUIET);
        Map<String, Double> accuracy = new LinkedHashMap<>();
        for (DemoFineTune f : fineTunes) {
            accuracy.put(f.taskSet(), new EvaluationJob(paths.aligned(), null, paths.data(f.taskSet()), null, null, config, "cpu")
                    .run(QUIET).task().accuracy());
        }
        return new DemoResult.AlignedModel(safety.safety().refusalRate(), safety.safety().total(), safety.overRefusal().overRefusalRate(),
                accuracy);
    }

    /** The share of the family's benign requests that the aligned model with this adapter refuses. */
    double overRefusal(Path adapterDir) {
        return new EvaluationJob(paths.aligned(), adapterDir, null, Map.of(), paths.data(DemoFineTune.BENIGN_EVAL), null, config, "cpu")
                .run(QUIET).overRefusal().overRefusalRate();
    }

    /**
     * Under AUTO the trainer searches on the even-numbered lines of the safety set and reports on the odd-numbered
     * ones (the trainer's {@code EvaluationData.splitForAuto}); the aligned column is measured on the same odd lines.
     */
    private Path reportedHarmfulHalf() {
        try {
            List<String> lines = Files.readAllLines(paths.data(DemoFineTune.HARMFUL_EVAL), StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).toList();
            List<String> odd = new ArrayList<>();
            for (int i = 1; i < lines.size(); i += 2) {
                odd.add(lines.get(i));
            }
            Files.createDirectories(paths.measurements());
            return Files.write(paths.measurements().resolve("eval-harmful-reported.jsonl"), odd, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the reported half of the harmful set: " + e.getMessage(), e);
        }
    }
}
