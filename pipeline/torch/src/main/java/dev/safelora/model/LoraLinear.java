package dev.safelora.model;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A frozen linear layer ({@code weight} out x in, optional bias) with an optional LoRA branch
 * {@code dropout(x) A^T B^T * scale} added to its output. The frozen weight is never modified
 * (merging builds a new tensor) and never requires grad. LoRA factors are kept in fp32 whatever
 * the compute precision, as PEFT does by default.
 */
final class LoraLinear {

    private final String name;
    private final int in;
    private final int out;
    private Tensor weight;
    private final Tensor bias;
    private Tensor loraA;
    private Tensor loraB;
    private double scale;
    private double dropout;

    LoraLinear(String name, Tensor weight, Tensor bias) {
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        this.out = (int) weight.size(0);
        this.in = (int) weight.size(1);
    }

    String name() {
        return name;
    }

    int in() {
        return in;
    }

    int out() {
        return out;
    }

    boolean hasLora() {
        return loraA != null;
    }

    Tensor bias() {
        return bias;
    }

    Tensor weight() {
        return weight;
    }

    Tensor loraA() {
        return loraA;
    }

    Tensor loraB() {
        return loraB;
    }

    double scale() {
        return scale;
    }

    /** Installs LoRA factors (fp32, on the weight's device). */
    void attach(Tensor a, Tensor b, double scale, double dropout, boolean trainable) {
        if (a.size(1) != in || b.size(0) != out || a.size(0) != b.size(1)) {
            throw new IllegalArgumentException("LoRA for " + name + ": A " + java.util.Arrays.toString(Tensors.shape(a))
                    + " and B " + java.util.Arrays.toString(Tensors.shape(b)) + " do not fit a " + out + "x" + in + " weight");
        }
        dropLora();
        // set_requires_grad returns a non-owning handle (C++ Tensor&): keep the owning objects.
        a.set_requires_grad(trainable);
        b.set_requires_grad(trainable);
        this.loraA = Tensors.keep(a);
        this.loraB = Tensors.keep(b);
        this.scale = scale;
        this.dropout = dropout;
    }

    Tensor forward(Tensor x, boolean training) {
        Tensor y = bias == null ? torch.linear(x, weight) : torch.linear(x, weight, new TensorOptional(bias));
        if (loraA == null) {
            return y;
        }
        // The branch runs in the activations' precision: the (small) fp32 factors are cast to it, as autocast
        // would, instead of casting the full-width activations up to fp32 and the result back. Gradients reach
        // the fp32 factors through the casts. The scale goes on the r-wide intermediate, not the full-width output.
        Tensor a = loraA;
        Tensor b = loraB;
        if (x.scalar_type().value != a.scalar_type().value) {
            a = a.to(x.scalar_type());
            b = b.to(x.scalar_type());
        }
        Tensor h = training && dropout > 0 ? torch.dropout(x, dropout, true) : x;
        Tensor delta = torch.linear(torch.linear(h, a).mul(new Scalar(scale)), b);
        if (delta.scalar_type().value != y.scalar_type().value) {
            delta = delta.to(y.scalar_type());
        }
        return y.add(delta);
    }

    /** Folds {@code scale * B A} into a new frozen weight and drops the LoRA branch. */
    void merge() {
        if (loraA == null) {
            return;
        }
        try (org.bytedeco.pytorch.NoGradGuard guard = new org.bytedeco.pytorch.NoGradGuard();
             org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            Tensor delta = torch.matmul(loraB, loraA).mul(new Scalar(scale));
            Tensor merged = weight.to(torch.ScalarType.Float).add(delta).to(weight.scalar_type());
            Tensor old = weight;
            weight = Tensors.keep(merged.detach());
            old.close();
        }
        dropLora();
    }

    /** Swaps in new tensors for the factors (same shapes and values, e.g. views of a flat buffer); frees the old ones. */
    void replaceFactors(Tensor a, Tensor b) {
        Tensor oldA = loraA;
        Tensor oldB = loraB;
        loraA = a;
        loraB = b;
        oldA.close();
        oldB.close();
    }

    void removeLora() {
        dropLora();
    }

    private void dropLora() {
        if (loraA != null) {
            loraA.close();
            loraB.close();
            loraA = null;
            loraB = null;
        }
    }

    /** Frees the native tensors now rather than at garbage collection. */
    void close() {
        dropLora();
        weight.close();
        if (bias != null) {
            bias.close();
        }
    }
}
