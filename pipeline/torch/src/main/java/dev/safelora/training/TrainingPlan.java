package dev.safelora.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which examples every optimizer step trains on, as a pure function of the step index: each epoch
 * shuffles the examples with a generator seeded from (seed, epoch), cuts them into micro-batches
 * of {@code batchSize}, and groups {@code gradAccumulation} micro-batches per optimizer step (the
 * last step of an epoch may have fewer). Steps never span two epochs. Because nothing here has
 * state, resuming at step k needs only k.
 *
 * <p>With {@code lengths} (one per example, see {@link #byLength}), steps are grouped by length so
 * that their micro-batches carry little padding: the shuffled order is cut into windows of
 * {@value #WINDOW_STEPS} steps, each window is sorted by length (stably, so equal lengths keep the
 * shuffled order) and cut into steps, and the epoch's steps are shuffled again, so which length a
 * step has is as random as before, and so are the examples that share a step among those of
 * similar length. Within a step the examples are sorted by length before being cut into
 * micro-batches; the set of examples a step trains on does not depend on {@code batchSize} vs
 * {@code gradAccumulation}, so accumulation still equals one large batch. Without {@code lengths}
 * the plan is exactly the unbucketed one above.
 */
public record TrainingPlan(int examples, int batchSize, int gradAccumulation, int epochs, long seed, int[] lengths) {

    /** Steps per sorting window: large enough to find partners of similar length, small enough to stay random. */
    static final int WINDOW_STEPS = 64;

    public TrainingPlan {
        if (examples < 1 || batchSize < 1 || gradAccumulation < 1 || epochs < 1) {
            throw new IllegalArgumentException("a training plan needs at least one example, batch, step and epoch");
        }
        if (lengths != null) {
            if (lengths.length != examples) {
                throw new IllegalArgumentException("expected " + examples + " lengths, got " + lengths.length);
            }
            lengths = lengths.clone();
        }
    }

    /** The unbucketed plan: micro-batches in shuffled order. */
    public TrainingPlan(int examples, int batchSize, int gradAccumulation, int epochs, long seed) {
        this(examples, batchSize, gradAccumulation, epochs, seed, null);
    }

    /** The length-grouped plan of examples with these token counts. */
    public static TrainingPlan byLength(int[] lengths, int batchSize, int gradAccumulation, int epochs, long seed) {
        return new TrainingPlan(lengths.length, batchSize, gradAccumulation, epochs, seed, lengths);
    }

    @Override
    public int[] lengths() {
        return lengths == null ? null : lengths.clone();
    }

    public boolean groupedByLength() {
        return lengths != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainingPlan p && examples == p.examples && batchSize == p.batchSize
                && gradAccumulation == p.gradAccumulation && epochs == p.epochs && seed == p.seed
                && Arrays.equals(lengths, p.lengths);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(examples, batchSize, gradAccumulation, epochs, seed) * 31 + Arrays.hashCode(lengths);
    }

    @Override
    public String toString() {
        return "TrainingPlan[examples=" + examples + ", batchSize=" + batchSize + ", gradAccumulation=" + gradAccumulation
                + ", epochs=" + epochs + ", seed=" + seed + ", groupedByLength=" + groupedByLength() + "]";
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
        int inEpoch = (int) (step % stepsPerEpoch());
        int[] stepExamples = lengths == null ? unbucketedStep(order(epochOf(step)), inEpoch)
                : bucketedSteps(epochOf(step)).get(inEpoch);
        List<int[]> batches = new ArrayList<>();
        for (int from = 0; from < stepExamples.length; from += batchSize) {
            batches.add(Arrays.copyOfRange(stepExamples, from, Math.min(from + batchSize, stepExamples.length)));
        }
        return batches;
    }

    private int[] unbucketedStep(int[] order, int inEpoch) {
        int stepSize = batchSize * gradAccumulation;
        int from = inEpoch * stepSize;
        return Arrays.copyOfRange(order, from, Math.min(from + stepSize, examples));
    }

    /** Every step of a 0-based epoch, each sorted by length: see the class comment. */
    private List<int[]> bucketedSteps(int epoch) {
        int[] order = order(epoch);
        int stepSize = batchSize * gradAccumulation;
        int window = stepSize * WINDOW_STEPS;
        List<int[]> steps = new ArrayList<>();
        for (int start = 0; start < examples; start += window) {
            int end = Math.min(start + window, examples);
            int[] sorted = sortedByLength(order, start, end);
            for (int from = 0; from < sorted.length; from += stepSize) {
                steps.add(Arrays.copyOfRange(sorted, from, Math.min(from + stepSize, sorted.length)));
            }
        }
        SplittableRandom random = new SplittableRandom(mix(mix(seed, epoch), 1));
        for (int i = steps.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int[] t = steps.get(i);
            steps.set(i, steps.get(j));
            steps.set(j, t);
        }
        return steps;
    }

    /** {@code order[from, to)} sorted by length, ties in their order there (a primitive sort of (length, place) keys). */
    private int[] sortedByLength(int[] order, int from, int to) {
        long[] keys = new long[to - from];
        for (int i = from; i < to; i++) {
            keys[i - from] = ((long) lengths[order[i]] << 32) | (i - from);
        }
        Arrays.sort(keys);
        int[] out = new int[keys.length];
        for (int i = 0; i < keys.length; i++) {
            out[i] = order[from + (int) keys[i]];
        }
        return out;
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
