package dev.safelora.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.model.FlatParameters;
import dev.safelora.model.Tensors;
import java.util.ArrayList;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
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
        FlatParameters flat = FlatParameters.flatten(List.of(Tensors.fromFloats(new float[] {1.0f, -2.0f, 0.25f}, 3)));
        Tensor p = flat.views().get(0);
        LoraAdamW adam = new LoraAdamW(flat, 0.9, 0.999, 1e-8, 0.01);
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

    private static float[] random(SplittableRandom random, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
        }
        return v;
    }

    /**
     * The flat optimizer (one buffer, its own clipping) against the per-tensor one it replaced with libtorch's
     * clip_grad_norm_, on tensors of LoRA-like shapes over steps where clipping bites and where it does not.
     */
    @Test
    void flatUpdateEqualsThePerTensorUpdateWithClipping() {
        SplittableRandom random = new SplittableRandom(11);
        long[][] shapes = {{4, 16}, {24, 4}, {4, 16}, {8, 4}, {3}};
        List<Tensor> starts = new ArrayList<>();
        for (long[] shape : shapes) {
            int n = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            float[] values = random(random, n, 0.5);
            starts.add(Tensors.fromFloats(values, shape));
        }
        // set_requires_grad returns a non-owning handle: keep owning tensors for the reference.
        List<Tensor> owned = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            Tensor t = Tensors.fromFloats(Tensors.toFloats(starts.get(i)), shapes[i]);
            t.set_requires_grad(true);
            owned.add(t);
        }
        PerTensorAdamW perTensor = new PerTensorAdamW(owned, 0.9, 0.999, 1e-8, 0.05);
        FlatParameters flat = FlatParameters.flatten(starts);
        LoraAdamW adam = new LoraAdamW(flat, 0.9, 0.999, 1e-8, 0.05);
        TensorVector ownedVector = new TensorVector(owned.toArray(new Tensor[0]));
        double maxNorm = 1.0;
        for (int step = 0; step < 6; step++) {
            double gradScale = step % 2 == 0 ? 2.0 : 0.01; // clipped on even steps only
            double lr = 1e-2 / (step + 1);
            for (int i = 0; i < shapes.length; i++) {
                Tensor g = Tensors.fromFloats(random(random, (int) owned.get(i).numel(), gradScale), shapes[i]);
                owned.get(i).mul(g).sum().backward();
                flat.views().get(i).mul(g).sum().backward();
            }
            double expectedNorm = torch.clip_grad_norm_(ownedVector, maxNorm, 2.0, false);
            float actualNorm = Tensors.toFloats(adam.clipGradNorm(maxNorm))[0];
            assertThat((double) actualNorm).isCloseTo(expectedNorm, within(1e-5 * expectedNorm));
            perTensor.step(lr);
            perTensor.zeroGrad();
            adam.step(lr);
            adam.zeroGrad();
        }
        for (int i = 0; i < shapes.length; i++) {
            float[] expected = Tensors.toFloats(owned.get(i));
            float[] actual = Tensors.toFloats(flat.views().get(i));
            for (int j = 0; j < expected.length; j++) {
                assertThat(actual[j]).as("tensor %d element %d", i, j).isCloseTo(expected[j], within(2e-6f));
            }
            float[] m = Tensors.toFloats(adam.expAvg().get(i));
            float[] mRef = Tensors.toFloats(perTensor.expAvg().get(i));
            for (int j = 0; j < m.length; j++) {
                assertThat(m[j]).isCloseTo(mRef[j], within(1e-6f + 1e-5f * Math.abs(mRef[j])));
            }
        }
        // The grads of the flat leaves are views of one buffer: zeroing it zeroed them all.
        assertThat(Tensors.toFloats(flat.grads())).containsOnly(0f);
        adam.close();
    }
}
