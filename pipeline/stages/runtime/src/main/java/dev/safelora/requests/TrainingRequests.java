package dev.safelora.requests;

import dev.safelora.schema.LoraSettings;
import dev.safelora.schema.OptimizerSettings;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.TrainingRequest;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * A training request file. Only family, datasetUri and requestedBy are required; every
 * hyperparameter left out takes the reference recipe's default (the schema defaults: r 8,
 * alpha 16, dropout 0.05, q_proj + v_proj, lr 2e-4, 3 epochs, ...).
 * <pre>{@code
 * {"family": "tiny-llama", "datasetUri": "file:///data/train.jsonl", "requestedBy": "alice",
 *  optional: "requestId", "evaluationSetUri", "safetyEvaluationSetUri", "requestedAt", "retrainOf",
 *            "labels": {...},
 *            "lora": {"r", "alpha", "dropout", "targetModules", "rsLora"},
 *            "optimizer": {"learningRate", "epochs", "batchSize", "gradientAccumulationSteps",
 *                          "maxSequenceLength", "warmupSteps", "weightDecay", "seed"},
 *            "selection": {"mode": ..., see SelectionPolicies}}
 * }</pre>
 */
final class TrainingRequests {

    private TrainingRequests() {}

    static TrainingRequest read(JsonFields f, RequestReader.RequestContext context) {
        Problems problems = context.problems();
        String requestId = f.string("requestId")
                .map(id -> RequestRules.id(problems, "requestId", id))
                .orElseGet(() -> context.ids().get().toString());
        String family = f.requiredString("family");
        RequestRules.family(problems, "family", family);
        String datasetUri = f.requiredString("datasetUri");
        RequestRules.uri(problems, "datasetUri", datasetUri);
        Optional<String> evaluationSetUri = f.string("evaluationSetUri");
        evaluationSetUri.ifPresent(uri -> RequestRules.uri(problems, "evaluationSetUri", uri));
        Optional<String> safetyEvaluationSetUri = f.string("safetyEvaluationSetUri");
        safetyEvaluationSetUri.ifPresent(uri -> RequestRules.uri(problems, "safetyEvaluationSetUri", uri));
        LoraSettings lora = f.object("lora").map(TrainingRequests::lora).orElseGet(() -> LoraSettings.newBuilder().build());
        OptimizerSettings optimizer =
                f.object("optimizer").map(TrainingRequests::optimizer).orElseGet(() -> OptimizerSettings.newBuilder().build());
        SelectionPolicy selection = f.object("selection").map(SelectionPolicies::read).orElse(null);
        String requestedBy = f.requiredString("requestedBy");
        var requestedAt = f.instant("requestedAt").orElseGet(context.clock()::instant);
        String retrainOf = f.string("retrainOf").map(id -> RequestRules.id(problems, "retrainOf", id)).orElse(null);
        Map<String, String> labels = f.stringMap("labels").orElse(Map.of());
        f.rejectUnknownFields();
        if (!problems.isEmpty()) {
            return null;
        }
        return TrainingRequest.newBuilder()
                .setRequestId(requestId)
                .setFamily(family)
                .setDatasetUri(datasetUri)
                .setEvaluationSetUri(evaluationSetUri.orElse(null))
                .setSafetyEvaluationSetUri(safetyEvaluationSetUri.orElse(null))
                .setLora(lora)
                .setOptimizer(optimizer)
                .setSelection(selection)
                .setRequestedBy(requestedBy)
                .setRequestedAt(requestedAt)
                .setRetrainOf(retrainOf)
                .setLabels(labels)
                .build();
    }

    private static LoraSettings lora(JsonFields f) {
        Problems problems = f.problems();
        LoraSettings.Builder lora = LoraSettings.newBuilder();
        f.integer("r").ifPresent(r -> {
            positive(f, "r", r);
            lora.setR(r);
        });
        f.number("alpha").ifPresent(alpha -> {
            positive(f, "alpha", alpha);
            lora.setAlpha(alpha);
        });
        f.number("dropout").ifPresent(dropout -> {
            if (dropout < 0 || dropout >= 1) {
                problems.add(f.pathOf("dropout"), "must be in [0, 1), got " + dropout);
            }
            lora.setDropout(dropout);
        });
        f.strings("targetModules").ifPresent(modules -> {
            RequestRules.targetModules(problems, f.pathOf("targetModules"), modules);
            lora.setTargetModules(modules);
        });
        f.bool("rsLora").ifPresent(lora::setRsLora);
        f.rejectUnknownFields();
        return lora.build();
    }

    private static OptimizerSettings optimizer(JsonFields f) {
        Problems problems = f.problems();
        OptimizerSettings.Builder optimizer = OptimizerSettings.newBuilder();
        f.number("learningRate").ifPresent(lr -> {
            positive(f, "learningRate", lr);
            optimizer.setLearningRate(lr);
        });
        positiveInteger(f, "epochs", optimizer::setEpochs);
        positiveInteger(f, "batchSize", optimizer::setBatchSize);
        positiveInteger(f, "gradientAccumulationSteps", optimizer::setGradientAccumulationSteps);
        positiveInteger(f, "maxSequenceLength", optimizer::setMaxSequenceLength);
        f.integer("warmupSteps").ifPresent(v -> {
            if (v < 0) {
                problems.add(f.pathOf("warmupSteps"), "must be >= 0, got " + v);
            }
            optimizer.setWarmupSteps(v);
        });
        f.number("weightDecay").ifPresent(v -> {
            if (v < 0) {
                problems.add(f.pathOf("weightDecay"), "must be >= 0, got " + v);
            }
            optimizer.setWeightDecay(v);
        });
        f.longInteger("seed").ifPresent(optimizer::setSeed);
        f.rejectUnknownFields();
        return optimizer.build();
    }

    /** Reads an optional integer field, reports it unless it is > 0, and hands it on either way. */
    private static void positiveInteger(JsonFields f, String name, IntConsumer set) {
        f.integer(name).ifPresent(v -> {
            positive(f, name, v);
            set.accept(v);
        });
    }

    private static void positive(JsonFields f, String name, double value) {
        if (!(value > 0)) {
            f.problems().add(f.pathOf(name), "must be > 0, got " + (value == Math.rint(value) && Math.abs(value) < 1e15
                    ? String.valueOf((long) value) : String.valueOf(value)));
        }
    }
}
