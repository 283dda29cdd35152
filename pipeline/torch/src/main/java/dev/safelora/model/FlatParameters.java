package dev.safelora.model;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * The trainable LoRA factors of a model laid out in one flat fp32 buffer, with their gradients in a second one:
 * each factor is a leaf tensor that aliases its slice of {@code values}, and its {@code .grad} is the matching
 * view of {@code grads}, into which backward accumulates in place. An optimizer then updates every factor with
 * a handful of whole-buffer operations instead of a few per tensor (hundreds of small kernel launches on a GPU).
 *
 * @param views the factor tensors (A, B of each module, in module order), sharing storage with {@code values}
 */
public record FlatParameters(Tensor values, Tensor grads, List<Tensor> views) implements AutoCloseable {

    public FlatParameters {
        views = List.copyOf(views);
    }

    /**
     * New trainable leaves with the values of {@code tensors} (fp32, all on one device), laid out in one buffer;
     * the originals are left as they are (the caller swaps the new ones in and frees the old).
     */
    public static FlatParameters flatten(List<Tensor> tensors) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("nothing to flatten");
        }
        long total = 0;
        for (Tensor t : tensors) {
            if (t.scalar_type().value != torch.ScalarType.Float.value) {
                throw new IllegalArgumentException("flat parameters are fp32, got " + t.scalar_type());
            }
            total += t.numel();
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            TensorOptions fp32 = new TensorOptions(torch.ScalarType.Float)
                    .device(new org.bytedeco.pytorch.DeviceOptional(tensors.get(0).device()));
            Tensor values = torch.zeros(new long[] {total}, fp32);
            Tensor grads = torch.zeros(new long[] {total}, fp32);
            List<Tensor> views = new ArrayList<>();
            long offset = 0;
            for (Tensor old : tensors) {
                long n = old.numel();
                long[] shape = Tensors.shape(old);
                Tensor slot = values.narrow(0, offset, n).view(shape);
                slot.copy_(old);
                Tensor leaf = slot.detach();
                leaf.set_requires_grad(true);
                // Assigns the grad handle (C++ Tensor& operator=): backward then accumulates into the buffer in place.
                leaf.mutable_grad().put(grads.narrow(0, offset, n).view(shape));
                views.add(Tensors.keep(leaf));
                offset += n;
            }
            return new FlatParameters(Tensors.keep(values), Tensors.keep(grads), views);
        }
    }

    /** Releases the two buffer handles; the storage lives on while the model's factors use it. */
    @Override
    public void close() {
        values.close();
        grads.close();
    }
}
