package dev.safelora.requests;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.artifacts.ArtifactUriSyntax;
import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.LoraSettings;
import dev.safelora.schema.ModelRegistration;
import dev.safelora.schema.OptimizerSettings;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.TrainingRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one set of business rules for request records, checked on the Avro record wherever one is used: by
 * {@code submit} after its strict JSON conversion, by the planner on every record it consumes, and by the trainer
 * before it trains. Every problem is reported at once, each as "field.path: what is wrong".
 *
 * <p>Upper bounds exist so that one request cannot hold a GPU forever or exhaust memory; each says why. Bounds
 * that depend on the model (r at most the smaller dimension of a module, the sequence length at most the model's
 * {@code max_position_embeddings}) are checked by the trainer once the model is loaded.
 */
public final class RecordRules {

    /** Larger than the smaller dimension of any projection of the supported model sizes' LoRA targets would need. */
    public static final int MAX_RANK = 4096;
    /** A fine-tune needing more passes over its data is a different job; the stage's step budget bounds the rest. */
    public static final int MAX_EPOCHS = 1000;
    /** The longest context of the supported architectures (the trainer also checks the model's own limit). */
    public static final int MAX_SEQUENCE_LENGTH = 131_072;
    /** Per-step batch and accumulation beyond this exhaust memory or mean a misplaced digit. */
    public static final int MAX_BATCH = 4096;
    public static final int MAX_WARMUP_STEPS = 10_000_000;

    private RecordRules() {}

    /** Every problem of a training request, empty when it is valid. */
    public static List<String> trainingRequest(TrainingRequest r) {
        Problems p = new Problems();
        trainingRequest(p, r);
        return p.list();
    }

    static void trainingRequest(Problems p, TrainingRequest r) {
        RequestRules.id(p, "requestId", required(p, "requestId", r.getRequestId()));
        RequestRules.family(p, "family", required(p, "family", r.getFamily()));
        uri(p, "datasetUri", required(p, "datasetUri", r.getDatasetUri()));
        if (r.getEvaluationSetUri() != null) {
            uri(p, "evaluationSetUri", r.getEvaluationSetUri());
        }
        if (r.getSafetyEvaluationSetUri() != null) {
            uri(p, "safetyEvaluationSetUri", r.getSafetyEvaluationSetUri());
        }
        lora(p, "lora", r.getLora());
        optimizer(p, "optimizer", r.getOptimizer());
        if (r.getSelection() != null) {
            policy(p, "selection", r.getSelection());
        }
        required(p, "requestedBy", r.getRequestedBy());
        if (r.getRetrainOf() != null) {
            RequestRules.id(p, "retrainOf", r.getRetrainOf());
        }
    }

    /** Every problem of a model registration. */
    public static List<String> registration(ModelRegistration r) {
        Problems p = new Problems();
        RequestRules.family(p, "family", required(p, "family", r.getFamily()));
        uri(p, "baseUri", required(p, "baseUri", r.getBaseUri()));
        uri(p, "alignedUri", required(p, "alignedUri", r.getAlignedUri()));
        if (r.getBaseUri() != null && r.getBaseUri().equals(r.getAlignedUri())) {
            p.add("alignedUri", "must differ from baseUri");
        }
        RequestRules.targetModules(p, "targetModules", r.getTargetModules());
        return p.list();
    }

    /** Every problem of a layer selection. */
    public static List<String> layerSelection(LayerSelection s) {
        Problems p = new Problems();
        required(p, "target", s.getTarget());
        policy(p, "policy", s.getPolicy());
        return p.list();
    }

    /** Every problem of a selection policy, under {@code path}. */
    public static List<String> policy(String path, SelectionPolicy policy) {
        Problems p = new Problems();
        policy(p, path, policy);
        return p.list();
    }

    static void lora(Problems p, String path, LoraSettings lora) {
        int r = lora.getR();
        if (r <= 0) {
            p.add(path + ".r", "must be > 0, got " + r);
        } else if (r > MAX_RANK) {
            p.add(path + ".r", "must be at most " + MAX_RANK + ", got " + r + " (a LoRA rank is at most the smaller dimension"
                    + " of the modules it adapts)");
        }
        double alpha = lora.getAlpha();
        if (!(alpha > 0)) {
            p.add(path + ".alpha", "must be > 0, got " + number(alpha));
        } else if (!(alpha <= LoraConfig.MAX_ALPHA)) {
            p.add(path + ".alpha", "must be at most " + (long) LoraConfig.MAX_ALPHA + ", got " + number(alpha)
                    + " (the update scale would overflow the weights it is added to)");
        }
        double dropout = lora.getDropout();
        if (!(dropout >= 0 && dropout < 1)) {
            p.add(path + ".dropout", "must be in [0, 1), got " + dropout);
        }
        RequestRules.targetModules(p, path + ".targetModules", lora.getTargetModules());
    }

    static void optimizer(Problems p, String path, OptimizerSettings o) {
        double lr = o.getLearningRate();
        if (!(lr > 0) || Double.isInfinite(lr)) {
            p.add(path + ".learningRate", "must be > 0, got " + number(lr));
        }
        bounded(p, path + ".epochs", o.getEpochs(), MAX_EPOCHS, "more passes are a different job");
        bounded(p, path + ".batchSize", o.getBatchSize(), MAX_BATCH, "larger batches exhaust device memory");
        bounded(p, path + ".gradientAccumulationSteps", o.getGradientAccumulationSteps(), MAX_BATCH,
                "the effective batch would exceed any data set the stages train on");
        bounded(p, path + ".maxSequenceLength", o.getMaxSequenceLength(), MAX_SEQUENCE_LENGTH,
                "the longest context of the supported models");
        if (o.getWarmupSteps() < 0) {
            p.add(path + ".warmupSteps", "must be >= 0, got " + o.getWarmupSteps());
        } else if (o.getWarmupSteps() > MAX_WARMUP_STEPS) {
            p.add(path + ".warmupSteps", "must be at most " + MAX_WARMUP_STEPS + ", got " + o.getWarmupSteps());
        }
        double wd = o.getWeightDecay();
        if (!(wd >= 0) || Double.isInfinite(wd)) {
            p.add(path + ".weightDecay", "must be >= 0, got " + number(wd));
        }
    }

    static void policy(Problems p, String path, SelectionPolicy policy) {
        if (policy == null || policy.getMode() == null) {
            p.add(path + ".mode", "is required (THRESHOLD, TOP_K, EXPLICIT or AUTO)");
            return;
        }
        switch (policy.getMode()) {
            case THRESHOLD -> {
                if (!(policy.getThreshold() >= -1 && policy.getThreshold() <= 1)) {
                    p.add(path + ".threshold", "must be in [-1, 1] (a cosine), got " + policy.getThreshold());
                }
            }
            case TOP_K -> {
                if (policy.getTopK() == null || policy.getTopK() <= 0) {
                    p.add(path + ".topK", "must be > 0 for TOP_K, got " + policy.getTopK());
                }
            }
            case EXPLICIT -> {
                if (policy.getLayers().isEmpty() && policy.getModules().isEmpty()) {
                    p.add(path + ".layers", "mode EXPLICIT needs a non-empty list of layers and/or modules");
                }
                Set<Integer> seen = new HashSet<>();
                for (int i = 0; i < policy.getLayers().size(); i++) {
                    int layer = policy.getLayers().get(i);
                    if (layer < 0) {
                        p.add(path + ".layers[" + i + "]", "layer index must be >= 0, got " + layer);
                    } else if (!seen.add(layer)) {
                        p.add(path + ".layers[" + i + "]", "duplicate layer " + layer);
                    }
                }
                for (int i = 0; i < policy.getModules().size(); i++) {
                    RequestRules.moduleName(p, path + ".modules[" + i + "]", policy.getModules().get(i));
                }
            }
            case AUTO -> {
                if (!(policy.getAutoEpsilon() >= 0 && policy.getAutoEpsilon() <= 1)) {
                    p.add(path + ".autoEpsilon", "must be in [0, 1] for AUTO, got " + policy.getAutoEpsilon());
                }
                if (!(policy.getAutoDelta() >= 0 && policy.getAutoDelta() <= 1)) {
                    p.add(path + ".autoDelta", "must be in [0, 1] for AUTO, got " + policy.getAutoDelta());
                }
            }
        }
        if (!List.of("PROJECT", "SUBSPACE", "ZERO", "SHRINK").contains(policy.getRemedy())) {
            p.add(path + ".remedy", "must be PROJECT, SUBSPACE, ZERO or SHRINK, got " + policy.getRemedy());
        }
        if (policy.getSubspaceRank() != null && (policy.getSubspaceRank() <= 0 || !"SUBSPACE".equals(policy.getRemedy()))) {
            p.add(path + ".subspaceRank", "must be > 0 and only with remedy SUBSPACE, got " + policy.getSubspaceRank());
        }
    }

    /** An artifact URI: the scheme rules of {@link RequestRules#uri} and the strict syntax of {@link ArtifactUriSyntax}. */
    static void uri(Problems p, String path, String value) {
        if (value == null || !RequestRules.uri(p, path, value)) {
            return;
        }
        try {
            ArtifactUriSyntax.parse(value);
        } catch (IllegalArgumentException e) {
            p.add(path, e.getMessage());
        }
    }

    private static String required(Problems p, String path, String value) {
        if (value == null || value.isBlank()) {
            p.add(path, "is required");
            return null;
        }
        return value;
    }

    private static void bounded(Problems p, String path, int value, int max, String why) {
        if (value <= 0) {
            p.add(path, "must be > 0, got " + value);
        } else if (value > max) {
            p.add(path, "must be at most " + max + ", got " + value + " (" + why + ")");
        }
    }

    private static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? String.valueOf((long) value) : String.valueOf(value);
    }
}
