package dev.safelora.stage.jobs;

import dev.safelora.projection.Selection;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.stage.BadInputException;
import java.util.LinkedHashSet;

/** The Avro {@link SelectionPolicy} of a job as the projector's {@link Selection}; an unusable one is bad input. */
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
                case EXPLICIT -> policy.getLayers().isEmpty()
                        ? Selection.modules(new LinkedHashSet<>(policy.getModules()))
                        : Selection.layers(new LinkedHashSet<>(policy.getLayers()));
            };
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, "selection policy: " + e.getMessage(), e);
        }
    }
}
