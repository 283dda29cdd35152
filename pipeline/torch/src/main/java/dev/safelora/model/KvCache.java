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

    public KvCache(int layers) {
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
    }

    /** Number of positions cached. */
    public int length() {
        return length;
    }

    /** Appends this step's keys/values for {@code layer} and returns the full ones. */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        Tensor newK = keys[layer] == null ? k : torch.cat(new TensorVector(keys[layer], k), 2);
        Tensor newV = values[layer] == null ? v : torch.cat(new TensorVector(values[layer], v), 2);
        replace(keys, layer, newK);
        replace(values, layer, newV);
        return new Tensor[] {newK, newV};
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
