package dev.safelora.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A right-padded batch needs no padding mask under causal attention: real tokens never see the pads that follow
 * them, and the pads' outputs carry no label. The loss and every LoRA gradient of such a batch on the kernel's
 * causal path equal those of the masked path, of each sequence run alone, and (the loss) of a plain double
 * reference.
 */
class RightPaddingTest {

    private static final long IGNORE = CausalLmLoss.IGNORE;
    private static final int[] LENGTHS = {11, 6, 2, 9};
    private static final int PROMPT = 2;

    @TempDir
    static Path tmp;
    static Path dir;
    static int vocab;

    @BeforeAll
    static void writeModel() {
        org.bytedeco.pytorch.global.torch.set_num_threads(1);
        dir = tmp.resolve("llama3");
        vocab = TinyModels.write(dir, TinyModels.Shape.llama3Gqa(), 13).vocabSize();
    }

    /** The summed loss and the concatenated gradients of every trainable LoRA factor after one backward. */
    private record Outcome(double loss, float[] grads, long causal, long masked) {
    }

    private static long[][] sequences(int vocab) {
        Random random = new Random(3);
        long[][] out = new long[LENGTHS.length][];
        for (int r = 0; r < LENGTHS.length; r++) {
            out[r] = new long[LENGTHS[r]];
            for (int t = 0; t < LENGTHS[r]; t++) {
                out[r][t] = 1 + random.nextInt(vocab - 1);
            }
        }
        return out;
    }

    private static long[] labels(long[] ids, int length) {
        long[] labels = new long[length];
        for (int t = 0; t < length; t++) {
            labels[t] = t < PROMPT || t >= ids.length ? IGNORE : ids[t];
        }
        return labels;
    }

    private static CausalLm modelWithLora(List<LoraFactors> factors) {
        CausalLm model = CausalLm.load(dir, ComputeDevice.cpu());
        model.loadLora(factors, 0.0, true);
        return model;
    }

    /** Rows right-padded (pad id 0) to the longest, forward with or without the padding mask, backward. */
    private static Outcome padded(List<LoraFactors> factors, long[][] rows, boolean withMask) {
        int length = 0;
        for (long[] row : rows) {
            length = Math.max(length, row.length);
        }
        long[] ids = new long[rows.length * length];
        long[] labels = new long[rows.length * length];
        long[] mask = new long[rows.length * length];
        for (int r = 0; r < rows.length; r++) {
            long[] rowLabels = labels(rows[r], length);
            for (int t = 0; t < length; t++) {
                ids[r * length + t] = t < rows[r].length ? rows[r][t] : 0;
                labels[r * length + t] = rowLabels[t];
                mask[r * length + t] = t < rows[r].length ? 1 : 0;
            }
        }
        CausalLm model = modelWithLora(factors);
        try (PointerScope scope = new PointerScope()) {
            Tensor logits = model.forward(Tensors.fromLongs(ids, rows.length, length),
                    withMask ? Tensors.fromLongs(mask, rows.length, length) : null);
            Tensor loss = CausalLmLoss.summed(logits, Tensors.fromLongs(labels, rows.length, length));
            loss.backward();
            return new Outcome(loss.item_double(), grads(model), model.causalForwards(), model.maskedForwards());
        } finally {
            model.close();
        }
    }

    /** Each row alone (no padding at all), its losses and gradients summed. */
    private static Outcome alone(List<LoraFactors> factors, long[][] rows) {
        CausalLm model = modelWithLora(factors);
        try (PointerScope scope = new PointerScope()) {
            double loss = 0;
            for (long[] row : rows) {
                Tensor logits = model.forward(Tensors.fromLongs(row, 1, row.length), null);
                Tensor l = CausalLmLoss.summed(logits, Tensors.fromLongs(labels(row, row.length), 1, row.length));
                l.backward();
                loss += l.item_double();
            }
            return new Outcome(loss, grads(model), model.causalForwards(), model.maskedForwards());
        } finally {
            model.close();
        }
    }

    private static float[] grads(CausalLm model) {
        List<float[]> parts = new ArrayList<>();
        int n = 0;
        for (Tensor p : model.trainableParameters()) {
            float[] g = Tensors.toFloats(p.grad());
            parts.add(g);
            n += g.length;
        }
        float[] all = new float[n];
        int at = 0;
        for (float[] g : parts) {
            System.arraycopy(g, 0, all, at, g.length);
            at += g.length;
        }
        return all;
    }

    /** The summed shifted cross-entropy of each row alone, from the double reference forward. */
    private static double referenceLoss(List<LoraFactors> factors, long[][] rows) throws Exception {
        ReferenceForward ref = new ReferenceForward(dir);
        for (LoraFactors f : factors) {
            ref.addLora(f.module(), f.a(), f.b(), f.r(), f.scale());
        }
        double total = 0;
        for (long[] row : rows) {
            double[][] logits = ref.logits(row);
            long[] labels = labels(row, row.length);
            for (int t = 0; t + 1 < row.length; t++) {
                if (labels[t + 1] == IGNORE) {
                    continue;
                }
                double max = Double.NEGATIVE_INFINITY;
                for (double v : logits[t]) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (double v : logits[t]) {
                    sum += Math.exp(v - max);
                }
                total += max + Math.log(sum) - logits[t][(int) labels[t + 1]];
            }
        }
        return total;
    }

    private static double largestDifference(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double largest = 0;
        for (int i = 0; i < a.length; i++) {
            largest = Math.max(largest, Math.abs(a[i] - b[i]));
        }
        return largest;
    }

    private static double largestMagnitude(float[] a) {
        double largest = 0;
        for (float f : a) {
            largest = Math.max(largest, Math.abs(f));
        }
        return largest;
    }

    @Test
    void aRightPaddedBatchOnTheCausalPathHasTheLossAndGradientsOfTheMaskedPathAndOfEachRowAlone() throws Exception {
        List<LoraFactors> factors;
        try (CausalLm probe = CausalLm.load(dir, ComputeDevice.cpu())) {
            factors = LoraTest.randomFactors(probe, 4, 2.0, 17, "q_proj", "v_proj", "down_proj");
        }
        long[][] rows = sequences(vocab);

        Outcome causal = padded(factors, rows, false);
        Outcome masked = padded(factors, rows, true);
        Outcome alone = alone(factors, rows);
        double reference = referenceLoss(factors, rows);

        assertThat(causal.causal()).as("no mask: the kernel's causal flag").isEqualTo(1);
        assertThat(causal.masked()).isZero();
        assertThat(masked.masked()).as("the padding mask reaches attention").isEqualTo(1);

        assertThat(causal.loss()).isCloseTo(reference, org.assertj.core.data.Percentage.withPercentage(1e-3));
        assertThat(masked.loss()).isCloseTo(reference, org.assertj.core.data.Percentage.withPercentage(1e-3));
        assertThat(alone.loss()).isCloseTo(reference, org.assertj.core.data.Percentage.withPercentage(1e-3));

        double scale = largestMagnitude(alone.grads());
        assertThat(scale).as("the gradients are not trivially zero").isGreaterThan(1e-3);
        assertThat(largestDifference(causal.grads(), masked.grads())).isLessThan(1e-5 * scale);
        assertThat(largestDifference(causal.grads(), alone.grads())).isLessThan(1e-5 * scale);
    }
}
