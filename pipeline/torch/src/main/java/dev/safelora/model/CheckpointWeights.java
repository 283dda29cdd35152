package dev.safelora.model;

import dev.safelora.tensor.Checkpoint;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** An HF model directory's memory-mapped safetensors, seen as a {@link WeightSource}. */
public final class CheckpointWeights implements WeightSource, AutoCloseable {

    private final Checkpoint checkpoint;
    private final Path dir;

    private CheckpointWeights(Checkpoint checkpoint, Path dir) {
        this.checkpoint = checkpoint;
        this.dir = dir;
    }

    public static CheckpointWeights open(Path dir) {
        return new CheckpointWeights(Checkpoint.open(dir), dir);
    }

    @Override
    public boolean contains(String name) {
        return checkpoint.contains(name);
    }

    @Override
    public String dtype(String name) {
        return checkpoint.info(name).dtype().safetensorsName();
    }

    @Override
    public long[] shape(String name) {
        return checkpoint.info(name).shape();
    }

    @Override
    public ByteBuffer bytes(String name) {
        return checkpoint.bytes(name);
    }

    @Override
    public String describe() {
        return "model " + dir;
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
