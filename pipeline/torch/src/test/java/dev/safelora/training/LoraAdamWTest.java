package dev.safelora.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.model.Tensors;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class LoraAdamWTest {

    /** AdamW written out in doubles, one element at a time (Loshchilov and Hutter, as torch.optim.AdamW). */
    private static double[] reference(double[] p, double[][] grads, double[] lrs, double wd) {
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        p = p.clone();
        for (int t = 1; t <= grads.length; t++) {
            double lr = lrs[t - 1];
            for (int i = 0; i < p.length; i++) {
                double g = grads[t - 1][i];
                p[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        return p;
    }

    @Test
    void matchesTheAdamWUpdateWrittenOutByHand() {
        double[] start = {1.0, -2.0, 0.25};
        double[][] grads = {{0.5, 0.1, -3.0}, {-0.2, 0.1, 1e-4}, {0.05, -7.0, 0.0}};
        double[] lrs = {0.1, 0.05, 0.01};
        Tensor p = Tensors.fromFloats(new float[] {1.0f, -2.0f, 0.25f}, 3).set_requires_grad(true);
        LoraAdamW adam = new LoraAdamW(List.of(p), 0.9, 0.999, 1e-8, 0.01);
        for (int t = 0; t < grads.length; t++) {
            float[] g = new float[3];
            for (int i = 0; i < 3; i++) {
                g[i] = (float) grads[t][i];
            }
            // d/dp of sum(p * g) is g.
            p.mul(Tensors.fromFloats(g, 3)).sum().backward();
            adam.step(lrs[t]);
            adam.zeroGrad();
        }
        double[] expected = reference(start, grads, lrs, 0.01);
        float[] actual = Tensors.toFloats(p);
        for (int i = 0; i < 3; i++) {
            assertThat((double) actual[i]).as("element %d", i).isCloseTo(expected[i], within(1e-6));
        }
        assertThat(adam.steps()).isEqualTo(3);
    }
}
