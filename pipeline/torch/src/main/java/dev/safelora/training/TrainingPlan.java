package dev.safelora.training;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which examples every optimizer step trains on, as a pure function of the step index: each epoch
 * shuffles the examples with a generator seeded from (seed, epoch), cuts them into micro-batches
 * of {@code batchSize}, and groups {@code gradAccumulation} micro-batches per optimizer step (the
 * last step of an epoch may have fewer). Steps never span two epochs. Because nothing here has
 * state, resuming at step k needs only k.
 */
public record TrainingPlan(int examples, int batchSize, int gradAccumulation, int epochs, long seed) {

    public TrainingPlan {
        if (examples < 1 || batchSize < 1 || gradAccumulation < 1 || epochs < 1) {
            throw new IllegalArgumentException("a training plan needs at least one example, batch, step and epoch");
        }
    }

    public int microBatchesPerEpoch() {
        return (examples + batchSize - 1) / batchSize;
    }

    public int stepsPerEpoch() {
        return (microBatchesPerEpoch() + gradAccumulation - 1) / gradAccumulation;
    }

    public long totalSteps() {
        return (long) stepsPerEpoch() * epochs;
    }

    /** The 0-based epoch of the 0-based optimizer step {@code step}. */
    public int epochOf(long step) {
        return (int) (step / stepsPerEpoch());
    }

    /** Example indices of each micro-batch of optimizer step {@code step} (0-based). */
    public List<int[]> microBatches(long step) {
        if (step < 0 || step >= totalSteps()) {
            throw new IllegalArgumentException("step " + step + " is outside 0.." + (totalSteps() - 1));
        }
        int[] order = order(epochOf(step));
        int inEpoch = (int) (step % stepsPerEpoch());
        List<int[]> batches = new ArrayList<>();
        int firstMicro = inEpoch * gradAccumulation;
        int lastMicro = Math.min(firstMicro + gradAccumulation, microBatchesPerEpoch());
        for (int m = firstMicro; m < lastMicro; m++) {
            int from = m * batchSize;
            int to = Math.min(from + batchSize, examples);
            batches.add(java.util.Arrays.copyOfRange(order, from, to));
        }
        return batches;
    }

    /** The shuffled example order of a 0-based epoch (Fisher-Yates). */
    public int[] order(int epoch) {
        int[] order = new int[examples];
        for (int i = 0; i < examples; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(mix(seed, epoch));
        for (int i = examples - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** A well-spread 64-bit seed from two numbers (SplitMix64's finaliser). */
    static long mix(long seed, long salt) {
        long z = seed * 0x9E3779B97F4A7C15L + salt + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
