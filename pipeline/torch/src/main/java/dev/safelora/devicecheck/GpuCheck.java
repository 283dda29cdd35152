package dev.safelora.devicecheck;

import dev.safelora.generation.GenerationConfig;
import dev.safelora.generation.TextGenerator;
import dev.safelora.model.CausalLm;
import dev.safelora.model.CausalLmLoss;
import dev.safelora.model.ComputeDevice;
import dev.safelora.model.FlatParameters;
import dev.safelora.model.LoraSpec;
import dev.safelora.model.Tensors;
import dev.safelora.training.LoraAdamW;
import dev.safelora.training.TrainingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The check a platform team runs on a new GPU node ({@code safelora gpu-check}): on a small model with LoRA
 * dropout off, the training step exactly as the trainer runs it (forward under the precision's autocast,
 * summed loss over response tokens, backward, global-norm clipping, one AdamW step over the flat buffers)
 * and 16 greedy tokens with the updated adapter, on a reference device and on the candidate; the candidate's
 * step runs twice to prove it deterministic. {@link #compare} applies the tolerances below.
 */
public final class GpuCheck {

    /** Tolerances of a bf16 candidate against an fp32 reference (bf16 keeps 8 mantissa bits). */
    public record Tolerances(double lossRelative, double gradNormRelative, double updateRelative, int greedyPrefix) {

        /**
         * Loss within 2 %, gradient norm within 5 %, the LoRA update (new minus initial factors) within 25 % in
         * mean absolute difference over its mean size (Adam's first step is about lr times the gradient's sign, so
         * elements whose gradient is near zero may flip), and the first 8 of 16 greedy tokens equal (a bf16 logit can
         * swap two near-tied tokens later on, after which the continuations legitimately differ).
         */
        public static Tolerances bf16() {
            return new Tolerances(0.02, 0.05, 0.25, 8);
        }

        /** Same precision on both sides: everything but rounding-order effects must agree. */
        public static Tolerances samePrecision() {
            return new Tolerances(1e-4, 1e-3, 1e-3, 16);
        }
    }

    /** The comparison: empty {@code mismatches} means the candidate passes. */
    public record Verdict(StepOutcome reference, StepOutcome candidate, boolean deterministic, double lossRelative,
                          double gradNormRelative, double updateRelative, int greedyPrefix, List<String> mismatches) {

        public boolean passed() {
            return mismatches.isEmpty();
        }
    }

    static final int NEW_TOKENS = 16;
    private static final long[][] BATCH = {
            {1, 17, 42, 9, 63, 21, 5, 88, 14, 30, 7, 51},
            {1, 33, 8, 71, 12, 44, 90, 3, 27, 66, 19, 2}};
    private static final int PROMPT_TOKENS = 6; // loss on the last six tokens of each row, like a response
    private static final long[] GREEDY_PROMPT = {1, 17, 42, 9, 63};
    private static final double LEARNING_RATE = 1e-2;
    private static final double MAX_GRAD_NORM = 1.0;

    private GpuCheck() {
    }

    /** Runs the step on {@code device}. */
    public static StepOutcome run(Path modelDir, ComputeDevice device) {
        try (CausalLm model = CausalLm.load(modelDir, device)) {
            model.addTrainableLora(new LoraSpec(8, 16, false, List.of("q_proj", "v_proj"), 0.0, 1234));
            FlatParameters flat = model.flattenTrainableParameters();
            float[] initial = Tensors.toFloats(flat.values());
            LoraAdamW adam = new LoraAdamW(flat, TrainingConfig.ADAM_BETA1, TrainingConfig.ADAM_BETA2, TrainingConfig.ADAM_EPS, 0.0);
            model.train();
            long peakBefore = peak(device, true);
            long start = System.nanoTime();
            double loss;
            double gradNorm;
            try (PointerScope scope = new PointerScope()) {
                Tensor ids = Tensors.fromLongs(BATCH);
                long[][] labels = new long[BATCH.length][];
                long trained = 0;
                for (int i = 0; i < BATCH.length; i++) {
                    labels[i] = BATCH[i].clone();
                    for (int t = 0; t < PROMPT_TOKENS; t++) {
                        labels[i][t] = CausalLmLoss.IGNORE;
                    }
                    trained += BATCH[i].length - PROMPT_TOKENS;
                }
                Tensor summed = CausalLmLoss.summed(model.forward(ids, null), Tensors.fromLongs(labels));
                summed.div(new Scalar((double) trained)).backward();
                Tensor norm = adam.clipGradNorm(MAX_GRAD_NORM);
                adam.step(LEARNING_RATE);
                float[] both = Tensors.toFloats(torch.stack(new org.bytedeco.pytorch.TensorVector(summed.detach(), norm)));
                synchronize(device);
                loss = both[0] / trained;
                gradNorm = both[1];
            }
            long stepNanos = System.nanoTime() - start;
            long peakBytes = Math.max(peakBefore, peak(device, false));
            float[] factors = Tensors.toFloats(flat.values());
            adam.close();
            model.eval();
            long[] tokens = new TextGenerator(model, null)
                    .generate(GREEDY_PROMPT, GenerationConfig.greedy(NEW_TOKENS, Set.of())).newIds();
            return new StepOutcome(loss, gradNorm, factors, initial, tokens, stepNanos, peakBytes);
        }
    }

    /** Runs the reference once and the candidate twice, and compares. */
    public static Verdict check(Path modelDir, ComputeDevice reference, ComputeDevice candidate, Tolerances tolerances) {
        StepOutcome ref = run(modelDir, reference);
        StepOutcome first = run(modelDir, candidate);
        StepOutcome second = run(modelDir, candidate);
        boolean deterministic = first.loss() == second.loss() && first.gradNorm() == second.gradNorm()
                && Arrays.equals(first.factors(), second.factors()) && Arrays.equals(first.greedyTokens(), second.greedyTokens());
        return compare(ref, second, deterministic, tolerances);
    }

    /** Applies {@code tolerances}; every violated one is a line in the verdict's mismatches. */
    public static Verdict compare(StepOutcome ref, StepOutcome cand, boolean deterministic, Tolerances tolerances) {
        List<String> mismatches = new ArrayList<>();
        double lossRel = relative(cand.loss(), ref.loss());
        double normRel = relative(cand.gradNorm(), ref.gradNorm());
        double updateRel = updateDifference(ref, cand);
        int prefix = commonPrefix(ref.greedyTokens(), cand.greedyTokens());
        if (!(lossRel <= tolerances.lossRelative())) {
            mismatches.add(String.format("loss %.6f vs reference %.6f: %.2f%% apart, tolerance %.2f%%", cand.loss(), ref.loss(),
                    100 * lossRel, 100 * tolerances.lossRelative()));
        }
        if (!(normRel <= tolerances.gradNormRelative())) {
            mismatches.add(String.format("gradient norm %.6f vs reference %.6f: %.2f%% apart, tolerance %.2f%%", cand.gradNorm(),
                    ref.gradNorm(), 100 * normRel, 100 * tolerances.gradNormRelative()));
        }
        if (!(updateRel <= tolerances.updateRelative())) {
            mismatches.add(String.format("LoRA update differs by %.2f%% of its size, tolerance %.2f%%", 100 * updateRel,
                    100 * tolerances.updateRelative()));
        }
        int needed = Math.min(tolerances.greedyPrefix(), ref.greedyTokens().length);
        if (prefix < needed) {
            mismatches.add("greedy tokens agree on the first " + prefix + " of " + ref.greedyTokens().length + ", " + needed
                    + " needed: " + Arrays.toString(cand.greedyTokens()) + " vs " + Arrays.toString(ref.greedyTokens()));
        }
        if (!deterministic) {
            mismatches.add("two runs of the same step on the candidate differ (non-deterministic kernels or a faulty device)");
        }
        return new Verdict(ref, cand, deterministic, lossRel, normRel, updateRel, prefix, List.copyOf(mismatches));
    }

    static double relative(double value, double reference) {
        return Math.abs(value - reference) / Math.max(Math.abs(reference), 1e-12);
    }

    /** mean |(cand - init) - (ref - init)| / mean |ref - init|. */
    static double updateDifference(StepOutcome ref, StepOutcome cand) {
        if (ref.factors().length != cand.factors().length) {
            return Double.POSITIVE_INFINITY;
        }
        double diff = 0;
        double size = 0;
        for (int i = 0; i < ref.factors().length; i++) {
            double r = ref.factors()[i] - ref.initial()[i];
            double c = cand.factors()[i] - cand.initial()[i];
            diff += Math.abs(c - r);
            size += Math.abs(r);
        }
        return size == 0 ? (diff == 0 ? 0 : Double.POSITIVE_INFINITY) : diff / size;
    }

    static int commonPrefix(long[] a, long[] b) {
        int n = 0;
        while (n < a.length && n < b.length && a[n] == b[n]) {
            n++;
        }
        return n;
    }

    private static void synchronize(ComputeDevice device) {
        if (device.cuda()) {
            torch.cuda_synchronize(device.index());
        }
    }

    /** Peak bytes since the last reset (CUDA: the caching allocator's allocated-bytes peak; CPU: resident set). */
    private static long peak(ComputeDevice device, boolean reset) {
        if (!device.cuda()) {
            return Pointer.physicalBytes();
        }
        org.bytedeco.pytorch.cuda.CUDAAllocator allocator = org.bytedeco.pytorch.global.torch_cuda.getAllocator();
        if (reset) {
            allocator.resetPeakStats((byte) device.index());
            return 0;
        }
        // Stat index 0 is the aggregate over small and large pools (StatType::AGGREGATE).
        return allocator.getDeviceStats((byte) device.index()).allocated_bytes().position(0).peak();
    }
}
