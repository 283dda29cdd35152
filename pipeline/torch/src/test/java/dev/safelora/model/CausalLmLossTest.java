package dev.safelora.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class CausalLmLossTest {

    @Test
    void predictsTheNextLabelAndSkipsIgnoredOnes() {
        int b = 2;
        int t = 4;
        int v = 5;
        float[] logits = new float[b * t * v];
        java.util.Random random = new java.util.Random(4);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        long[][] labels = {{-100, -100, 3, 1}, {-100, 4, 0, -100}};
        double sum = 0;
        int count = 0;
        for (int i = 0; i < b; i++) {
            for (int p = 0; p < t - 1; p++) {
                long target = labels[i][p + 1];
                if (target == -100) {
                    continue;
                }
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < v; k++) {
                    max = Math.max(max, logits[(i * t + p) * v + k]);
                }
                double z = 0;
                for (int k = 0; k < v; k++) {
                    z += Math.exp(logits[(i * t + p) * v + k] - max);
                }
                sum += -(logits[(i * t + p) * v + (int) target] - max - Math.log(z));
                count++;
            }
        }
        try (PointerScope scope = new PointerScope()) {
            Tensor loss = CausalLmLoss.shiftedCrossEntropy(Tensors.fromFloats(logits, b, t, v), Tensors.fromLongs(labels));
            assertThat((double) loss.item_float()).isCloseTo(sum / count, within(1e-5));
            Tensor summed = CausalLmLoss.summed(Tensors.fromFloats(logits, b, t, v), Tensors.fromLongs(labels));
            assertThat(summed.item_double()).isCloseTo(sum, within(1e-4));
        }
        assertThat(count).isEqualTo(4);
    }
}
