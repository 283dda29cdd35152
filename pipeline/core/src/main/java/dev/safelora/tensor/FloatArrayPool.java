package dev.safelora.tensor;

import java.util.concurrent.ConcurrentHashMap;

/**
 * At most one spare float array per length, for loops that stream tensors of a few distinct sizes
 * (a GQA model's q_proj 8192 x 8192 and v_proj 1024 x 8192 alternate): keeping only the last array
 * would drop the large one at every small module and allocate it again at the next large one.
 * Safe to share between threads; a taker that finds no spare gets null and allocates.
 */
public final class FloatArrayPool {

    private final ConcurrentHashMap<Integer, float[]> spare = new ConcurrentHashMap<>();

    /** A spare array of exactly {@code length}, removed from the pool, or null when there is none. */
    public float[] take(long length) {
        return length > Integer.MAX_VALUE ? null : spare.remove((int) length);
    }

    /** Offers {@code array} for a later {@link #take} of its length (replacing any spare of that length). */
    public void give(float[] array) {
        if (array != null) {
            spare.put(array.length, array);
        }
    }
}
