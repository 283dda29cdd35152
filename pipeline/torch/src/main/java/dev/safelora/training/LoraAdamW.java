package dev.safelora.training;

import dev.safelora.model.FlatParameters;
import dev.safelora.model.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * AdamW with decoupled weight decay, the update of PyTorch's {@code torch.optim.AdamW} (no amsgrad), written
 * out in tensor operations over {@link FlatParameters}: parameters, gradients and both moments are each one
 * flat fp32 buffer, so a step is six whole-buffer operations whatever the number of LoRA modules (the
 * per-tensor form launched about eight kernels per tensor, thousands per step on a 7B model), and clipping is
 * two more. Nothing here reads a value back to the host. libtorch's own AdamW keeps its moments where Java
 * cannot reach them and saves them only through its pickle-based archive; we need them in a safetensors
 * checkpoint so that {@code --resume} continues bit for bit.
 */
public final class LoraAdamW implements AutoCloseable {

    private final FlatParameters flat;
    private final Tensor expAvg;
    private final Tensor expAvgSq;
    private final List<Tensor> expAvgViews = new ArrayList<>();
    private final List<Tensor> expAvgSqViews = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private long steps;

    public LoraAdamW(FlatParameters flat, double beta1, double beta2, double eps, double weightDecay) {
        this.flat = flat;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        try (PointerScope scope = new PointerScope()) {
            expAvg = Tensors.keep(torch.zeros_like(flat.values()));
            expAvgSq = Tensors.keep(torch.zeros_like(flat.values()));
            long offset = 0;
            for (Tensor p : flat.views()) {
                long n = p.numel();
                long[] shape = Tensors.shape(p);
                expAvgViews.add(Tensors.keep(expAvg.narrow(0, offset, n).view(shape)));
                expAvgSqViews.add(Tensors.keep(expAvgSq.narrow(0, offset, n).view(shape)));
                offset += n;
            }
        }
    }

    /**
     * The global L2 norm of the gradients (a 0-d tensor on the device, in the caller's pointer scope), after
     * scaling them by {@code min(1, maxNorm / (norm + 1e-6))} as {@code torch.nn.utils.clip_grad_norm_} does;
     * {@code maxNorm <= 0} only measures. No host sync: the caller reads the norm with the loss, once per step.
     */
    public Tensor clipGradNorm(double maxNorm) {
        try (NoGradGuard noGrad = new NoGradGuard()) {
            Tensor norm = flat.grads().norm();
            if (maxNorm > 0) {
                Tensor coefficient = torch.div(torch.full_like(norm, new Scalar(maxNorm)), norm.add(new Scalar(1e-6)))
                        .clamp_max(new Scalar(1.0));
                flat.grads().mul_(coefficient);
            }
            return norm;
        }
    }

    /** One update of every parameter with learning rate {@code lr}. */
    public void step(double lr) {
        steps++;
        double bias1 = 1 - Math.pow(beta1, steps);
        double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, steps));
        Tensor p = flat.values();
        Tensor g = flat.grads();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            if (weightDecay != 0) {
                p.mul_(new Scalar(1 - lr * weightDecay));
            }
            expAvg.lerp_(g, new Scalar(1 - beta1));
            expAvgSq.mul_(new Scalar(beta2)).addcmul_(g, g, new Scalar(1 - beta2));
            Tensor denom = expAvgSq.sqrt().div_(new Scalar(bias2Sqrt)).add_(new Scalar(eps));
            p.addcdiv_(expAvg, denom, new Scalar(-lr / bias1));
        }
    }

    public void zeroGrad() {
        try (NoGradGuard noGrad = new NoGradGuard()) {
            flat.grads().zero_();
        }
    }

    long steps() {
        return steps;
    }

    /** The parameters (views of the flat buffer), in module order. */
    List<Tensor> params() {
        return flat.views();
    }

    List<Tensor> expAvg() {
        return expAvgViews;
    }

    List<Tensor> expAvgSq() {
        return expAvgSqViews;
    }

    /** Frees both moments and the buffer handles now (outside every pointer scope; a GC would be too late on a GPU). */
    @Override
    public void close() {
        expAvgViews.forEach(Tensor::close);
        expAvgSqViews.forEach(Tensor::close);
        expAvg.close();
        expAvgSq.close();
        flat.close();
    }

    /** Puts back the state of a checkpoint: step count and both moments of every parameter. */
    void restore(long steps, List<float[]> firstMoments, List<float[]> secondMoments) {
        if (firstMoments.size() != expAvgViews.size() || secondMoments.size() != expAvgViews.size()) {
            throw new IllegalArgumentException("checkpoint has optimizer state for " + firstMoments.size()
                    + " tensors, the model has " + expAvgViews.size() + " trainable tensors");
        }
        this.steps = steps;
        for (int i = 0; i < expAvgViews.size(); i++) {
            TorchArrays.copyInto(expAvgViews.get(i), firstMoments.get(i));
            TorchArrays.copyInto(expAvgSqViews.get(i), secondMoments.get(i));
        }
    }
}
