package dev.safelora.training;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The per-tensor AdamW this project used before {@link LoraAdamW} went flat (a few ops per tensor), kept as
 * the reference the flat one must match.
 *
 * AdamW with decoupled weight decay, the update of PyTorch's {@code torch.optim.AdamW} (single
 * tensor path, no amsgrad), written out in tensor operations. libtorch's own AdamW keeps its
 * moments where Java cannot reach them and saves them only through its pickle-based archive; we
 * need them in a safetensors checkpoint so that {@code --resume} continues bit for bit.
 */
final class PerTensorAdamW {

    private final List<Tensor> params;
    private final List<Tensor> expAvg = new ArrayList<>();
    private final List<Tensor> expAvgSq = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private long steps;

    PerTensorAdamW(List<Tensor> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        PointerScope outer = PointerScope.getInnerScope();
        for (Tensor p : this.params) {
            Tensor m = torch.zeros_like(p);
            Tensor v = torch.zeros_like(p);
            if (outer != null) {
                outer.detach(m);
                outer.detach(v);
            }
            expAvg.add(m);
            expAvgSq.add(v);
        }
    }

    /** One update of every parameter that has a gradient, with learning rate {@code lr}. */
    void step(double lr) {
        steps++;
        double bias1 = 1 - Math.pow(beta1, steps);
        double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, steps));
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Tensor g = p.grad();
                if (g == null || !g.defined()) {
                    continue;
                }
                if (weightDecay != 0) {
                    p.mul_(new Scalar(1 - lr * weightDecay));
                }
                expAvg.get(i).lerp_(g, new Scalar(1 - beta1));
                expAvgSq.get(i).mul_(new Scalar(beta2)).addcmul_(g, g, new Scalar(1 - beta2));
                Tensor denom = expAvgSq.get(i).sqrt().div_(new Scalar(bias2Sqrt)).add_(new Scalar(eps));
                p.addcdiv_(expAvg.get(i), denom, new Scalar(-lr / bias1));
            }
        }
    }

    void zeroGrad() {
        try (PointerScope scope = new PointerScope()) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null && g.defined()) {
                    g.zero_();
                }
            }
        }
    }

    long steps() {
        return steps;
    }

    List<Tensor> params() {
        return params;
    }

    List<Tensor> expAvg() {
        return expAvg;
    }

    List<Tensor> expAvgSq() {
        return expAvgSq;
    }

    /** Puts back the state of a checkpoint: step count and both moments of every parameter. */
    void restore(long steps, List<float[]> firstMoments, List<float[]> secondMoments) {
        if (firstMoments.size() != params.size() || secondMoments.size() != params.size()) {
            throw new IllegalArgumentException("checkpoint has optimizer state for " + firstMoments.size()
                    + " tensors, the model has " + params.size() + " trainable tensors");
        }
        this.steps = steps;
        for (int i = 0; i < params.size(); i++) {
            TorchArrays.copyInto(expAvg.get(i), firstMoments.get(i));
            TorchArrays.copyInto(expAvgSq.get(i), secondMoments.get(i));
        }
    }
}
