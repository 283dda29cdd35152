package dev.safelora.stage.jobs;

import dev.safelora.projection.Remedy;
import dev.safelora.projection.Selection;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.stage.BadInputException;
import java.util.LinkedHashSet;

/**
 * The Avro {@link SelectionPolicy} of a job as the projector's {@link Selection} and {@link Remedy}; an
 * unusable one is bad input. AUTO is not a {@link Selection}: the trainer stage resolves it to a top-k K
 * by evaluating ({@code AutoSelectionStep}).
 */
public final class SelectionPolicies {

    private SelectionPolicies() {
    }

    public static Selection toSelection(SelectionPolicy policy) {
        if (policy == null || policy.getMode() == null) {
            throw new BadInputException("the job has no selection policy");
        }
        try {
            return switch (policy.getMode()) {
                case THRESHOLD -> {
                    double tau = policy.getThreshold();
                    if (!(tau >= -1 && tau <= 1)) {
                        throw new IllegalArgumentException("THRESHOLD selection needs a threshold in [-1, 1], got " + tau);
                    }
                    yield Selection.threshold(tau);
                }
                case TOP_K -> {
                    if (policy.getTopK() == null || policy.getTopK() < 1) {
                        throw new IllegalArgumentException("TOP_K selection needs topK > 0, got " + policy.getTopK());
                    }
                    yield Selection.topK(policy.getTopK());
                }
                case AUTO -> throw new IllegalArgumentException("AUTO selection needs the base model and evaluation sets;"
                        + " only the trainer stage resolves it");
                case EXPLICIT -> policy.getLayers().isEmpty()
                        ? Selection.modules(new LinkedHashSet<>(policy.getModules()))
                        : Selection.layers(new LinkedHashSet<>(policy.getLayers()));
            };
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, "selection policy: " + e.getMessage(), e);
        }
    }

    /** The remedy of a policy; PROJECT (SafeLoRA's) when absent. */
    public static Remedy remedy(SelectionPolicy policy) {
        if (policy == null || policy.getRemedy() == null) {
            return Remedy.PROJECT;
        }
        for (Remedy r : Remedy.values()) {
            if (r.name().equals(policy.getRemedy())) {
                return r;
            }
        }
        throw new BadInputException(BadInputException.Cause.VALIDATION,
                "selection policy: remedy must be PROJECT, SUBSPACE, ZERO or SHRINK, got \"" + policy.getRemedy() + "\"");
    }

    /** The subspace rank of a policy; 0 (each module's LoRA rank) when absent. */
    public static int subspaceRank(SelectionPolicy policy) {
        Integer rank = policy == null ? null : policy.getSubspaceRank();
        if (rank == null) {
            return 0;
        }
        if (rank <= 0 || remedy(policy) != Remedy.SUBSPACE) {
            throw new BadInputException(BadInputException.Cause.VALIDATION,
                    "selection policy: subspaceRank must be > 0 and only with remedy SUBSPACE, got " + rank);
        }
        return rank;
    }

    /** The core remedy as events carry it, e.g. {@code SHRINK}. */
    public static String toAvro(Remedy remedy) {
        return remedy.name();
    }
}
