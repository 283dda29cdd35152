package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The AUTO search over scripted curves: refusal[k] and task[k] for K = 0..n. */
class AutoSelectionTest {

    /** A scripted evaluator that records which K were asked for. */
    static final class Scripted implements AutoSelection.Evaluator {
        final double[] refusal;
        final Double[] task;
        final List<Integer> asked = new ArrayList<>();

        Scripted(double[] refusal, Double[] task) {
            this.refusal = refusal;
            this.task = task;
        }

        @Override
        public AutoSelection.Step evaluate(int k) {
            asked.add(k);
            return new AutoSelection.Step(k, refusal[k], task == null ? null : task[k]);
        }
    }

    @Test
    void stopsAtTheFirstKWithinEpsilonOfTheAlignedRefusal() {
        Scripted s = new Scripted(new double[] {0.0, 0.5, 0.82, 0.97, 1.0}, new Double[] {0.9, 0.9, 0.88, 0.85, 0.2});
        AutoSelection.Result r = AutoSelection.search(4, 1.0, 0.2, 0.1, s);
        assertThat(r.chosenK()).isEqualTo(2);
        assertThat(r.stopReason()).isEqualTo(AutoSelection.StopReason.SAFE);
        assertThat(r.targetRefusal()).isEqualTo(0.8);
        assertThat(r.rawTaskAccuracy()).isEqualTo(0.9);
        assertThat(s.asked).as("no K beyond the answer is evaluated").containsExactly(0, 1, 2);
        assertThat(r.curve()).extracting(AutoSelection.Step::k).containsExactly(0, 1, 2);
    }

    @Test
    void stopsBeforeTheUtilityBudgetIsSpentAndKeepsTheSafestKWithinIt() {
        // K = 3 would be safe, but its accuracy 0.7 is more than delta 0.1 below the raw 0.9
        Scripted s = new Scripted(new double[] {0.0, 0.4, 0.6, 0.99, 1.0}, new Double[] {0.9, 0.85, 0.81, 0.7, 0.6});
        AutoSelection.Result r = AutoSelection.search(4, 1.0, 0.05, 0.1, s);
        assertThat(r.stopReason()).isEqualTo(AutoSelection.StopReason.UTILITY_BUDGET);
        assertThat(r.chosenK()).isEqualTo(2);
        assertThat(s.asked).containsExactly(0, 1, 2, 3);
        assertThat(r.curve()).hasSize(4);
    }

    @Test
    void withoutATaskSetThereIsNoBudgetAndAnUnreachableTargetExhaustsTheModules() {
        Scripted s = new Scripted(new double[] {0.1, 0.3, 0.6, 0.5}, null);
        AutoSelection.Result r = AutoSelection.search(3, 1.0, 0.05, 0.0, s);
        assertThat(r.stopReason()).isEqualTo(AutoSelection.StopReason.EXHAUSTED);
        assertThat(r.chosenK()).as("the highest refusal reached").isEqualTo(2);
        assertThat(r.rawTaskAccuracy()).isNull();
    }

    @Test
    void aRawAdapterThatAlreadyRefusesNeedsNoModules() {
        Scripted s = new Scripted(new double[] {0.97, 1.0}, new Double[] {0.5, 0.5});
        AutoSelection.Result r = AutoSelection.search(1, 1.0, 0.05, 0.1, s);
        assertThat(r.chosenK()).isZero();
        assertThat(r.stopReason()).isEqualTo(AutoSelection.StopReason.SAFE);
    }

    @Test
    void badParametersAreRefused() {
        Scripted s = new Scripted(new double[] {0}, null);
        assertThatThrownBy(() -> AutoSelection.search(0, 1.0, -0.1, 0.1, s)).hasMessageContaining("epsilon and delta must be in [0, 1]");
        assertThatThrownBy(() -> AutoSelection.search(0, 1.5, 0.1, 0.1, s)).hasMessageContaining("aligned refusal rate");
        assertThatThrownBy(() -> AutoSelection.search(1, 1.0, 0.1, 0.1, k -> new AutoSelection.Step(0, 0, null)))
                .hasMessageContaining("answered K = 0 for K = 1");
    }

    /** Whatever the curves: a SAFE answer is the smallest safe K, and no chosen K ever breaks the budget. */
    @Property(tries = 200)
    void theChosenKIsTheSmallestSafeOneWithinBudget(@ForAll @Size(min = 1, max = 8) List<@DoubleRange(min = 0, max = 1) Double> refusal,
                                                    @ForAll @IntRange(min = 0, max = 1000) int taskSeed,
                                                    @ForAll @DoubleRange(min = 0, max = 0.5) double epsilon,
                                                    @ForAll @DoubleRange(min = 0, max = 0.5) double delta) {
        java.util.Random rnd = new java.util.Random(taskSeed);
        Double[] task = new Double[refusal.size()];
        for (int i = 0; i < task.length; i++) {
            task[i] = rnd.nextDouble();
        }
        double[] ref = refusal.stream().mapToDouble(Double::doubleValue).toArray();
        AutoSelection.Result r = AutoSelection.search(ref.length - 1, 1.0, epsilon, delta, new Scripted(ref, task));
        int k = r.chosenK();
        assertThat(task[k]).as("chosen K within the utility budget").isGreaterThanOrEqualTo(k == 0 ? task[0] : task[0] - delta);
        for (int j = 1; j < r.curve().size(); j++) {
            if (j < r.curve().size() - 1 || r.stopReason() != AutoSelection.StopReason.UTILITY_BUDGET) {
                assertThat(task[j]).isGreaterThanOrEqualTo(task[0] - delta);
            }
        }
        if (r.stopReason() == AutoSelection.StopReason.SAFE) {
            assertThat(ref[k]).isGreaterThanOrEqualTo(1.0 - epsilon);
            for (int j = 0; j < k; j++) {
                assertThat(ref[j]).as("a smaller K was already safe").isLessThan(1.0 - epsilon);
            }
        }
    }
}
