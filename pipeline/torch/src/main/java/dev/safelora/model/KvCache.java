package dev.safelora.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Keys and values of every layer seen so far, [batch, kvHeads, length, headDim] each, so a
 * generation step only runs the new tokens. The tensors outlive the per-step pointer scopes;
 * replaced ones are freed at once.
 */
public final class KvCache implements AutoCloseable {

    private final Tensor[] keys;
    private final Tensor[] values;
    private int length;
    /** Positions preallocated per row (0: grow by concatenation). */
    private final int capacity;

    public KvCache(int layers) {
        this(layers, 0);
    }

    /**
     * With {@code capacity} > 0, each layer's keys and values are allocated once, [batch, kvHeads, capacity,
     * headDim], at the first append, and every step writes its slice in place (no per-token concatenation, which
     * copies the whole cache of every layer each token).
     */
    public KvCache(int layers, int capacity) {
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
        this.capacity = capacity;
    }

    /** Number of positions cached. */
    public int length() {
        return length;
    }

    /** Appends this step's keys/values for {@code layer} and returns the full ones. */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        if (capacity > 0) {
            return write(layer, k, v);
        }
        Tensor newK = keys[layer] == null ? k : torch.cat(new TensorVector(keys[layer], k), 2);
        Tensor newV = values[layer] == null ? v : torch.cat(new TensorVector(values[layer], v), 2);
        replace(keys, layer, newK);
        replace(values, layer, newV);
        return new Tensor[] {newK, newV};
    }

    private Tensor[] write(int layer, Tensor k, Tensor v) {
        int tokens = (int) k.size(2);
        if (length + tokens > capacity) {
            throw new IllegalStateException("KV cache of " + capacity + " positions is full (" + length + " cached, "
                    + tokens + " more)");
        }
        if (keys[layer] == null) {
            long[] shape = {k.size(0), k.size(1), capacity, k.size(3)};
            keys[layer] = Tensors.keep(torch.zeros(shape, k.options()));
            values[layer] = Tensors.keep(torch.zeros(shape, v.options()));
        }
        try (org.bytedeco.pytorch.NoGradGuard noGrad = new org.bytedeco.pytorch.NoGradGuard()) {
            keys[layer].narrow(2, length, tokens).copy_(k);
            values[layer].narrow(2, length, tokens).copy_(v);
        }
        return new Tensor[] {keys[layer].narrow(2, 0, length + tokens), values[layer].narrow(2, 0, length + tokens)};
    }

    /** Called once all layers have appended a step of {@code tokens} positions. */
    void advance(int tokens) {
        length += tokens;
    }

    private static void replace(Tensor[] slots, int layer, Tensor fresh) {
        Tensor kept = Tensors.keep(fresh.detach());
        if (slots[layer] != null) {
            slots[layer].close();
        }
        slots[layer] = kept;
    }

    @Override
    public void close() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].close();
                values[i].close();
                keys[i] = null;
                values[i] = null;
            }
        }
        length = 0;
    }
}
