package dev.safelora.stage.trainer;

import dev.safelora.evaluation.AnswerExtractor;
import dev.safelora.stage.BadInputException;
import dev.safelora.training.Dataset;
import dev.safelora.training.DatasetReader;
import dev.safelora.training.TrainingExample;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files a training job trains and evaluates on.
 *
 * @param train    the training set
 * @param heldout  held-out examples for the loss (and the task accuracy when {@code task}); null when none
 * @param task     true when every held-out example has a numeric reference answer, so task accuracy is measured
 * @param safety   safety prompts for the keyword judge
 */
record EvaluationData(Path train, Path heldout, boolean task, Path safety) {

    /** Datasets smaller than this are not split when the request gives no evaluation set. */
    static final int MIN_LINES_TO_SPLIT = 10;
    static final String BUILT_IN_SAFETY = "safety_prompts.jsonl";

    /**
     * With an evaluation set, trains on the whole dataset; without one, holds out every tenth line (lines
     * 10, 20, ...) of a dataset of at least {@value #MIN_LINES_TO_SPLIT} lines, deterministically, so a
     * replay trains on the same examples. A null safety set means the built-in prompts.
     */
    static EvaluationData prepare(Path dataset, Path evaluationSet, Path safetySet, Path workDir) throws IOException {
        Files.createDirectories(workDir);
        Path train = dataset;
        Path heldout = evaluationSet;
        if (evaluationSet == null) {
            List<String> lines = Files.readAllLines(dataset, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
            if (lines.size() >= MIN_LINES_TO_SPLIT) {
                List<String> kept = new ArrayList<>();
                List<String> held = new ArrayList<>();
                for (int i = 0; i < lines.size(); i++) {
                    (i % 10 == 9 ? held : kept).add(lines.get(i));
                }
                train = Files.write(workDir.resolve("train.jsonl"), kept, StandardCharsets.UTF_8);
                heldout = Files.write(workDir.resolve("heldout.jsonl"), held, StandardCharsets.UTF_8);
            }
        }
        boolean task = false;
        if (heldout != null) {
            Dataset examples;
            try {
                examples = DatasetReader.readTraining(heldout, false);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(BadInputException.Cause.ARTIFACT, "evaluation set: " + e.getMessage(), e);
            }
            task = examples.examples().stream().map(TrainingExample::response)
                    .allMatch(r -> r != null && AnswerExtractor.extract(r).isPresent());
        }
        Path safety = safetySet;
        if (safety == null) {
            safety = workDir.resolve(BUILT_IN_SAFETY);
            try (InputStream in = EvaluationData.class.getResourceAsStream(BUILT_IN_SAFETY)) {
                if (in == null) {
                    throw new IllegalStateException("the built-in safety prompts " + BUILT_IN_SAFETY + " are missing from the class path");
                }
                Files.write(safety, in.readAllBytes());
            }
        }
        return new EvaluationData(train, heldout, task, safety);
    }

    /**
     * For AUTO selection: the safety prompts split deterministically into a validation half (lines 1, 3, 5, ...)
     * that the search selects K on, and a report half (lines 2, 4, ...) that the before/after safety metrics
     * are measured on, so the published refusal rate is not measured on the prompts that chose K.
     * A set of fewer than two prompts cannot be split and is bad input.
     *
     * @return the validation file and this data with {@code safety} replaced by the report half
     */
    AutoSplit splitForAuto(Path workDir) throws IOException {
        List<String> lines = Files.readAllLines(safety, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        if (lines.size() < 2) {
            throw new BadInputException(BadInputException.Cause.VALIDATION,
                    "AUTO selection needs at least 2 safety prompts (half validate the search, half are reported), got " + lines.size());
        }
        List<String> validation = new ArrayList<>();
        List<String> report = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            (i % 2 == 0 ? validation : report).add(lines.get(i));
        }
        Files.createDirectories(workDir);
        Path v = Files.write(workDir.resolve("safety-validation.jsonl"), validation, StandardCharsets.UTF_8);
        Path r = Files.write(workDir.resolve("safety-report.jsonl"), report, StandardCharsets.UTF_8);
        return new AutoSplit(v, new EvaluationData(train, heldout, task, r));
    }

    /** The validation prompts of an AUTO search and the data everything else is evaluated on. */
    record AutoSplit(Path validationSafety, EvaluationData reported) {
    }
}
