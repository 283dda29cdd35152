package dev.safelora.model;

import java.nio.ByteBuffer;

/**
 * Named tensors as raw little-endian bytes: the view of a checkpoint the model loader needs.
 * {@link CheckpointWeights} serves them from memory-mapped safetensors.
 */
public interface WeightSource {

    boolean contains(String name);

    /** The safetensors dtype name ("F32", "BF16", "F16", ...). */
    String dtype(String name);

    long[] shape(String name);

    /** Little-endian bytes; for a mapped file a slice of the mapping, not a copy. */
    ByteBuffer bytes(String name);

    /** Where the weights come from, for messages. */
    String describe();
}
