package dev.safelora.planner;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.LoraSettings;
import dev.safelora.schema.OptimizerSettings;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.stage.BadInputException;

/**
 * The planner's checks on decoded records: what it relies on (the key matches the record, ids and URIs
 * present, hyperparameters in range, a policy consistent with its mode). A failed check is a
 * {@link BadInputException} naming every problem; the record goes to the dead-letter topic.
 */
final class RecordChecks {

    private RecordChecks() {
    }

    static void request(String key, TrainingRequest r) {
        List<String> problems = new ArrayList<>();
        keyMatches(problems, key, "requestId", r.getRequestId());
        text(problems, "family", r.getFamily());
        text(problems, "datasetUri", r.getDatasetUri());
        LoraSettings lora = r.getLora();
        if (lora.getR() <= 0) {
            problems.add("lora.r must be > 0, got " + lora.getR());
        }
        if (!(lora.getAlpha() > 0)) {
            problems.add("lora.alpha must be > 0, got " + lora.getAlpha());
        }
        if (!(lora.getDropout() >= 0 && lora.getDropout() < 1)) {
            problems.add("lora.dropout must be in [0, 1), got " + lora.getDropout());
        }
        if (lora.getTargetModules().isEmpty()) {
            problems.add("lora.targetModules must name at least one module");
        }
        OptimizerSettings opt = r.getOptimizer();
        if (!(opt.getLearningRate() > 0) || Double.isInfinite(opt.getLearningRate())) {
            problems.add("optimizer.learningRate must be > 0, got " + opt.getLearningRate());
        }
        positive(problems, "optimizer.epochs", opt.getEpochs());
        positive(problems, "optimizer.batchSize", opt.getBatchSize());
        positive(problems, "optimizer.gradientAccumulationSteps", opt.getGradientAccumulationSteps());
        positive(problems, "optimizer.maxSequenceLength", opt.getMaxSequenceLength());
        if (opt.getWarmupSteps() < 0) {
            problems.add("optimizer.warmupSteps must be >= 0, got " + opt.getWarmupSteps());
        }
        if (!(opt.getWeightDecay() >= 0) || Double.isInfinite(opt.getWeightDecay())) {
            problems.add("optimizer.weightDecay must be >= 0, got " + opt.getWeightDecay());
        }
        if (r.getSelection() != null) {
            policy(problems, "selection", r.getSelection());
        }
        fail("training request", key, problems);
    }

    /**
     * Whether {@code request} replays {@code earlier}, a request seen before under the same id (true: the same
     * content, apart from the submission time: {@code submit} stamps the time when the file has none, so
     * resubmitting one file always differs there); a different request under a used id is bad input.
     */
    static boolean replays(TrainingRequest earlier, TrainingRequest request) {
        if (TrainingRequest.newBuilder(request).setRequestedAt(earlier.getRequestedAt()).build().equals(earlier)) {
            return true;
        }
        throw new BadInputException(BadInputException.Cause.VALIDATION, "request id '" + request.getRequestId()
                + "' was already used by a different training request; use a new request id");
    }

    static void selection(String key, LayerSelection s) {
        List<String> problems = new ArrayList<>();
        keyMatches(problems, key, "target", s.getTarget());
        policy(problems, "policy", s.getPolicy());
        fail("layer selection", key, problems);
    }

    static void alignment(String key, AlignmentEvent a) {
        List<String> problems = new ArrayList<>();
        keyMatches(problems, key, "family", a.getFamily());
        if (a.getOutcome() instanceof AlignmentReady ready) {
            text(problems, "outcome.alignmentUri", ready.getAlignmentUri());
            text(problems, "outcome.baseFingerprint", ready.getBaseFingerprint());
            text(problems, "outcome.alignedFingerprint", ready.getAlignedFingerprint());
        } else if (!(a.getOutcome() instanceof AlignmentFailed)) {
            problems.add("outcome must be AlignmentReady or AlignmentFailed, got " + a.getOutcome());
        }
        fail("alignment event", key, problems);
    }

    static void adapter(String key, AdapterPublished a) {
        List<String> problems = new ArrayList<>();
        keyMatches(problems, key, "adapterId", a.getAdapterId());
        text(problems, "family", a.getFamily());
        text(problems, "requestId", a.getRequestId());
        text(problems, "rawAdapterUri", a.getRawAdapterUri());
        if (a.getAdapterId() != null && a.getAdapterId().equals(a.getPreviousAdapterId())) {
            problems.add("previousAdapterId must differ from adapterId");
        }
        policy(problems, "selection", a.getSelection());
        fail("adapter", key, problems);
    }

    static void policy(List<String> problems, String path, SelectionPolicy p) {
        switch (p.getMode()) {
            case THRESHOLD -> {
                if (!(p.getThreshold() >= -1 && p.getThreshold() <= 1)) {
                    problems.add(path + ".threshold must be in [-1, 1] for THRESHOLD, got " + p.getThreshold());
                }
            }
            case TOP_K -> {
                if (p.getTopK() == null || p.getTopK() <= 0) {
                    problems.add(path + ".topK must be > 0 for TOP_K, got " + p.getTopK());
                }
            }
            case EXPLICIT -> {
                if (p.getLayers().isEmpty() && p.getModules().isEmpty()) {
                    problems.add(path + " EXPLICIT must list at least one layer or module");
                }
                if (p.getLayers().stream().anyMatch(l -> l < 0)) {
                    problems.add(path + ".layers must be >= 0, got " + p.getLayers());
                }
            }
            case AUTO -> {
                if (!(p.getAutoEpsilon() >= 0 && p.getAutoEpsilon() <= 1) || !(p.getAutoDelta() >= 0 && p.getAutoDelta() <= 1)) {
                    problems.add(path + " AUTO needs autoEpsilon and autoDelta in [0, 1], got " + p.getAutoEpsilon() + ", " + p.getAutoDelta());
                }
            }
        }
        if (!java.util.List.of("PROJECT", "SUBSPACE", "ZERO", "SHRINK").contains(p.getRemedy())) {
            problems.add(path + ".remedy must be PROJECT, SUBSPACE, ZERO or SHRINK, got " + p.getRemedy());
        }
        if (p.getSubspaceRank() != null && (p.getSubspaceRank() <= 0 || !"SUBSPACE".equals(p.getRemedy()))) {
            problems.add(path + ".subspaceRank must be > 0 and only with remedy SUBSPACE, got " + p.getSubspaceRank());
        }
    }

    private static void keyMatches(List<String> problems, String key, String field, String value) {
        if (value == null || value.isBlank()) {
            problems.add(field + " must not be blank");
        } else if (!Objects.equals(key, value)) {
            problems.add("record key '" + key + "' must equal " + field + " '" + value + "'");
        }
    }

    private static void text(List<String> problems, String field, String value) {
        if (value == null || value.isBlank()) {
            problems.add(field + " must not be blank");
        }
    }

    private static void positive(List<String> problems, String field, int value) {
        if (value <= 0) {
            problems.add(field + " must be > 0, got " + value);
        }
    }

    private static void fail(String what, String key, List<String> problems) {
        if (!problems.isEmpty()) {
            throw new BadInputException(BadInputException.Cause.VALIDATION,
                    "invalid " + what + " '" + key + "': " + String.join("; ", problems));
        }
    }
}
