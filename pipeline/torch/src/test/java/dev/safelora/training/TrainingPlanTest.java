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

    /** Lengths like an instruction set's: mostly short, a long tail, cut at 256 (seeded). */
    private static int[] skewedLengths(int count, long seed) {
        java.util.Random random = new java.util.Random(seed);
        int[] lengths = new int[count];
        for (int i = 0; i < count; i++) {
            lengths[i] = (int) Math.max(2, Math.min(256, Math.round(60 * Math.exp(0.7 * random.nextGaussian()))));
        }
        return lengths;
    }

    @Property(tries = 60)
    void groupedByLengthEveryEpochStillVisitsEveryExampleOnceInWholeSteps(
            @ForAll @IntRange(min = 1, max = 300) int examples, @ForAll @IntRange(min = 1, max = 7) int batch,
            @ForAll @IntRange(min = 1, max = 4) int accumulation, @ForAll @IntRange(min = 1, max = 3) int epochs) {
        TrainingPlan plan = TrainingPlan.byLength(skewedLengths(examples, examples), batch, accumulation, epochs, 11);
        TrainingPlan plain = new TrainingPlan(examples, batch, accumulation, epochs, 11);
        assertThat(plan.stepsPerEpoch()).isEqualTo(plain.stepsPerEpoch());
        assertThat(plan.totalSteps()).isEqualTo(plain.totalSteps());
        for (int epoch = 0; epoch < epochs; epoch++) {
            List<Integer> seen = new ArrayList<>();
            int partial = 0;
            for (int s = 0; s < plan.stepsPerEpoch(); s++) {
                List<int[]> micro = plan.microBatches((long) epoch * plan.stepsPerEpoch() + s);
                assertThat(micro.size()).isBetween(1, accumulation);
                for (int[] m : micro) {
                    assertThat(m.length).isBetween(1, batch);
                    partial += m.length < batch ? 1 : 0;
                    Arrays.stream(m).forEach(seen::add);
                }
            }
            assertThat(seen).hasSize(examples).doesNotHaveDuplicates();
            assertThat(partial).as("at most one micro-batch per epoch is short").isLessThanOrEqualTo(1);
        }
    }

    @Test
    void groupingByLengthIsAFunctionOfTheSeedAndStaysRandomAcrossEpochs() {
        int[] lengths = skewedLengths(500, 1);
        TrainingPlan a = TrainingPlan.byLength(lengths, 4, 2, 3, 5);
        TrainingPlan b = TrainingPlan.byLength(lengths.clone(), 4, 2, 3, 5);
        TrainingPlan otherSeed = TrainingPlan.byLength(lengths, 4, 2, 3, 6);
        int differentFromOtherSeed = 0;
        for (long step = 0; step < a.totalSteps(); step++) {
            assertThat(a.microBatches(step)).hasSameSizeAs(b.microBatches(step));
            assertThat(concat(a.microBatches(step))).containsExactly(concat(b.microBatches(step)));
            differentFromOtherSeed += Arrays.equals(concat(a.microBatches(step)), concat(otherSeed.microBatches(step))) ? 0 : 1;
        }
        assertThat(differentFromOtherSeed).isGreaterThan((int) (a.totalSteps() * 9 / 10));
        // Another epoch, another order of steps and other partners of similar length.
        int steps = a.stepsPerEpoch();
        int sameAsEpochZero = 0;
        for (int s = 0; s < steps; s++) {
            sameAsEpochZero += Arrays.equals(concat(a.microBatches(s)), concat(a.microBatches(steps + s))) ? 1 : 0;
        }
        assertThat(sameAsEpochZero).isLessThan(steps / 10);
        // How a step's examples are split into micro-batches does not change which examples it sees.
        TrainingPlan big = TrainingPlan.byLength(lengths, 8, 1, 3, 5);
        for (long step = 0; step < a.totalSteps(); step++) {
            assertThat(concat(big.microBatches(step))).containsExactly(concat(a.microBatches(step)));
        }
    }

    @Test
    void groupingByLengthLeavesLittlePadding() {
        int[] lengths = skewedLengths(2000, 2);
        long real = Arrays.stream(lengths).asLongStream().sum();
        long shuffled = paddedPositions(new TrainingPlan(lengths.length, 8, 1, 1, 3), lengths);
        long grouped = paddedPositions(TrainingPlan.byLength(lengths, 8, 1, 1, 3), lengths);
        // Hand check of the premise: shuffled batches of this distribution are about half padding.
        assertThat((double) shuffled / real).isGreaterThan(0.5);
        assertThat((double) grouped / real).isLessThan(0.05);
    }

    /** Positions a right-padded batch computes beyond its rows' real tokens, over the first epoch. */
    private static long paddedPositions(TrainingPlan plan, int[] lengths) {
        long padded = 0;
        for (long step = 0; step < plan.stepsPerEpoch(); step++) {
            for (int[] m : plan.microBatches(step)) {
                int longest = Arrays.stream(m).map(i -> lengths[i]).max().orElseThrow();
                for (int i : m) {
                    padded += longest - lengths[i];
                }
            }
        }
        return padded;
    }

    private static int[] concat(List<int[]> parts) {
        return parts.stream().flatMapToInt(Arrays::stream).toArray();
    }
}
