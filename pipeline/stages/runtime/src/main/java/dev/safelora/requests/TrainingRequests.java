package dev.safelora.requests;

import dev.safelora.schema.LoraSettings;
import dev.safelora.schema.OptimizerSettings;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.TrainingRequest;
import java.util.Map;
import java.util.Optional;

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
        if (datasetUri != null) {
            RecordRules.uri(problems, "datasetUri", datasetUri);
        }
        Optional<String> evaluationSetUri = f.string("evaluationSetUri");
        evaluationSetUri.ifPresent(uri -> RecordRules.uri(problems, "evaluationSetUri", uri));
        Optional<String> safetyEvaluationSetUri = f.string("safetyEvaluationSetUri");
        safetyEvaluationSetUri.ifPresent(uri -> RecordRules.uri(problems, "safetyEvaluationSetUri", uri));
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

    /** Strict conversion of the "lora" object (types, unknown fields); its rules are {@link RecordRules#lora}. */
    private static LoraSettings lora(JsonFields f) {
        LoraSettings.Builder lora = LoraSettings.newBuilder();
        f.integer("r").ifPresent(lora::setR);
        f.number("alpha").ifPresent(lora::setAlpha);
        f.number("dropout").ifPresent(lora::setDropout);
        f.strings("targetModules").ifPresent(lora::setTargetModules);
        f.bool("rsLora").ifPresent(lora::setRsLora);
        f.rejectUnknownFields();
        LoraSettings built = lora.build();
        RecordRules.lora(f.problems(), f.pathOf("").replaceAll("\\.$", ""), built);
        return built;
    }

    /** Strict conversion of the "optimizer" object; its rules are {@link RecordRules#optimizer}. */
    private static OptimizerSettings optimizer(JsonFields f) {
        OptimizerSettings.Builder optimizer = OptimizerSettings.newBuilder();
        f.number("learningRate").ifPresent(optimizer::setLearningRate);
        f.integer("epochs").ifPresent(optimizer::setEpochs);
        f.integer("batchSize").ifPresent(optimizer::setBatchSize);
        f.integer("gradientAccumulationSteps").ifPresent(optimizer::setGradientAccumulationSteps);
        f.integer("maxSequenceLength").ifPresent(optimizer::setMaxSequenceLength);
        f.integer("warmupSteps").ifPresent(optimizer::setWarmupSteps);
        f.number("weightDecay").ifPresent(optimizer::setWeightDecay);
        f.longInteger("seed").ifPresent(optimizer::setSeed);
        f.rejectUnknownFields();
        OptimizerSettings built = optimizer.build();
        RecordRules.optimizer(f.problems(), f.pathOf("").replaceAll("\\.$", ""), built);
        return built;
    }
}
