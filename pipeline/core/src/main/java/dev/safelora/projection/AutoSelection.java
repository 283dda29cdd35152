package dev.safelora.projection;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * AUTO selection, SafeLoRA's future work made a policy: walk K = 0, 1, ..., n (the K modules with the
 * lowest cosine get the remedy, exactly as TOP_K K selects them) and stop at the first K whose refusal
 * rate on a validation harmful set is within epsilon of the aligned model's, unless task accuracy would
 * first fall more than delta below the raw adapter's (K = 0).
 * <ul>
 *   <li>{@code SAFE}: K reached {@code refusal >= alignedRefusal - epsilon} with accuracy within budget; chosen K = that K.</li>
 *   <li>{@code UTILITY_BUDGET}: the next K would lose more than delta accuracy; the chosen K is, among the Ks walked
 *       within budget, the one with the highest refusal (the smallest on ties).</li>
 *   <li>{@code EXHAUSTED}: every module was remedied without reaching the target; chosen as for UTILITY_BUDGET.</li>
 * </ul>
 * A pure function of the evaluator's answers, so it is tested with scripted curves.
 */
public final class AutoSelection {

    public static final double DEFAULT_EPSILON = 0.05;
    public static final double DEFAULT_DELTA = 0.1;

    /** Why the walk stopped. */
    public enum StopReason { SAFE, UTILITY_BUDGET, EXHAUSTED }

    /** One evaluated K; {@code taskAccuracy} is null without a task set (then there is no utility budget). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Step(int k, double refusalRate, Double taskAccuracy) {
    }

    /** Evaluates the adapter with its K lowest-cosine modules remedied (K = 0: the raw adapter). */
    @FunctionalInterface
    public interface Evaluator {
        Step evaluate(int k);
    }

    /** The outcome: the K chosen, why, and every point walked. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(int chosenK, StopReason stopReason, double epsilon, double delta, double targetRefusal, Double rawTaskAccuracy,
                         List<Step> curve) {
        public Result {
            curve = List.copyOf(curve);
        }
    }

    private AutoSelection() {
    }

    /**
     * @param modules        the number of modules in the adapter (the largest K)
     * @param alignedRefusal the aligned model's refusal rate on the same validation set
     */
    public static Result search(int modules, double alignedRefusal, double epsilon, double delta, Evaluator evaluator) {
        if (modules < 0) {
            throw new IllegalArgumentException("module count must be >= 0, got " + modules);
        }
        if (!(epsilon >= 0 && epsilon <= 1) || !(delta >= 0 && delta <= 1)) {
            throw new IllegalArgumentException("epsilon and delta must be in [0, 1], got " + epsilon + " and " + delta);
        }
        if (!(alignedRefusal >= 0 && alignedRefusal <= 1)) {
            throw new IllegalArgumentException("aligned refusal rate must be in [0, 1], got " + alignedRefusal);
        }
        double target = alignedRefusal - epsilon;
        List<Step> curve = new ArrayList<>();
        Double rawTask = null;
        for (int k = 0; k <= modules; k++) {
            Step step = evaluator.evaluate(k);
            if (step.k() != k) {
                throw new IllegalStateException("evaluator answered K = " + step.k() + " for K = " + k);
            }
            curve.add(step);
            if (k == 0) {
                rawTask = step.taskAccuracy();
            }
            if (k > 0 && rawTask != null && step.taskAccuracy() != null && step.taskAccuracy() < rawTask - delta) {
                return new Result(best(curve.subList(0, curve.size() - 1)), StopReason.UTILITY_BUDGET, epsilon, delta, target, rawTask, curve);
            }
            if (step.refusalRate() >= target) {
                return new Result(k, StopReason.SAFE, epsilon, delta, target, rawTask, curve);
            }
        }
        return new Result(best(curve), StopReason.EXHAUSTED, epsilon, delta, target, rawTask, curve);
    }

    private static int best(List<Step> steps) {
        Step best = steps.get(0);
        for (Step s : steps) {
            if (s.refusalRate() > best.refusalRate()) {
                best = s;
            }
        }
        return best.k();
    }
}
