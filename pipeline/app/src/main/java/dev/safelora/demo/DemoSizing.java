package dev.safelora.demo;

import dev.safelora.model.TinyModels;

/**
 * How big the demo's model and fine-tune are: chosen so that the whole run (broker, registry,
 * every stage, training, two evaluations) stays within about three minutes on two CPU cores.
 */
record DemoSizing(TinyModels.Shape shape, int epochs, int batchSize, double learningRate, double alignedStrength) {

    static DemoSizing standard() {
        return new DemoSizing(TinyModels.Shape.llama(), 8, 4, 0.05, 0.05);
    }

    DemoSizing withEpochs(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + n);
        }
        return new DemoSizing(shape, n, batchSize, learningRate, alignedStrength);
    }
}
