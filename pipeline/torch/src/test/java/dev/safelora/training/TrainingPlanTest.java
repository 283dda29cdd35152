package dev.safelora.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class TrainingPlanTest {

    @Property(tries = 60)
    void everyEpochVisitsEveryExampleOnceInWholeSteps(@ForAll @IntRange(min = 1, max = 40) int examples,
                                                      @ForAll @IntRange(min = 1, max = 7) int batch,
                                                      @ForAll @IntRange(min = 1, max = 4) int accumulation,
                                                      @ForAll @IntRange(min = 1, max = 3) int epochs) {
        TrainingPlan plan = new TrainingPlan(examples, batch, accumulation, epochs, 11);
        int microBatches = (examples + batch - 1) / batch;
        assertThat(plan.stepsPerEpoch()).isEqualTo((microBatches + accumulation - 1) / accumulation);
        assertThat(plan.totalSteps()).isEqualTo((long) plan.stepsPerEpoch() * epochs);
        for (int epoch = 0; epoch < epochs; epoch++) {
            List<Integer> seen = new ArrayList<>();
            for (int s = 0; s < plan.stepsPerEpoch(); s++) {
                long step = (long) epoch * plan.stepsPerEpoch() + s;
                assertThat(plan.epochOf(step)).isEqualTo(epoch);
                List<int[]> micro = plan.microBatches(step);
                assertThat(micro.size()).isBetween(1, accumulation);
                for (int[] m : micro) {
                    assertThat(m.length).isBetween(1, batch);
                    Arrays.stream(m).forEach(seen::add);
                }
            }
            assertThat(seen).hasSize(examples).doesNotHaveDuplicates();
        }
    }

    @Test
    void theOrderIsAFunctionOfSeedAndEpochOnly() {
        TrainingPlan a = new TrainingPlan(50, 4, 2, 3, 5);
        TrainingPlan b = new TrainingPlan(50, 4, 2, 3, 5);
        assertThat(a.order(1)).isEqualTo(b.order(1));
        assertThat(a.order(0)).isNotEqualTo(a.order(1));
        assertThat(new TrainingPlan(50, 4, 2, 3, 6).order(0)).isNotEqualTo(a.order(0));
        // The grouping into micro-batches does not change which examples a step sees.
        assertThat(new TrainingPlan(50, 8, 1, 3, 5).microBatches(2).get(0))
                .containsExactly(concat(a.microBatches(2)));
    }

    private static int[] concat(List<int[]> parts) {
        return parts.stream().flatMapToInt(Arrays::stream).toArray();
    }
}
