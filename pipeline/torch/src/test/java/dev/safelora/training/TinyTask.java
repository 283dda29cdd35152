package dev.safelora.training;

import dev.safelora.model.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A generated tiny model and a small synthetic dataset it can learn, for the trainer tests. */
public final class TinyTask {

    /** The answer to "code k": a fixed permutation of the digits. */
    public static final int[] ANSWERS = {7, 3, 9, 1, 4, 8, 2, 6, 0, 5};

    private TinyTask() {
    }

    /**
     * Tests run libtorch on one thread: on a shared CI machine its spinning worker threads make
     * these small models many times slower, not faster.
     */
    public static void oneTorchThread() {
        org.bytedeco.pytorch.global.torch.set_num_threads(1);
    }

    /** A 2-layer Llama-style model, hidden 128 (wide enough for confident logits), vocabulary ~320. */
    public static Path model(Path dir) {
        Path modelDir = dir.resolve("model");
        TinyModels.write(modelDir, TinyModels.Shape.llama().withSize(128, 256, 4, 4), 7);
        return modelDir;
    }

    /**
     * A fixed lookup: "code k" is answered with the digit ANSWERS[k]. A random model answers
     * none right; a trained adapter (nearly) all.
     */
    public static List<String> lines() {
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < ANSWERS.length; k++) {
            lines.add("{\"prompt\": \"code " + k + "\", \"response\": \"" + ANSWERS[k] + "\"}");
        }
        return lines;
    }

    public static Path data(Path dir) throws IOException {
        Path file = dir.resolve("train.jsonl");
        Files.write(file, lines());
        return file;
    }

    /** LoRA on every linear module, rank 16, full-batch steps: learns the lookup in about 40 steps. */
    public static TrainingConfig learningConfig() {
        return TrainingConfig.defaults()
                .withTargetModules(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"))
                .withRank(16).withAlpha(32).withLearningRate(1e-2).withEpochs(40).withBatchSize(10).withGradAccumulation(1);
    }

    /** A few quick steps with every feature on: dropout, accumulation, warm-up, cosine decay, clipping. */
    public static TrainingConfig quickConfig() {
        return TrainingConfig.defaults().withEpochs(3).withLearningRate(1e-2).withBatchSize(3).withGradAccumulation(2)
                .withDropout(0.1).withWarmupSteps(1).withDecay(LearningRateSchedule.Decay.COSINE).withMaxGradNorm(0.5);
    }
}
