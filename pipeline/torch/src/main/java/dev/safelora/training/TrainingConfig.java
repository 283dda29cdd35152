package dev.safelora.training;

import java.util.List;
import java.util.Objects;

/**
 * Every hyperparameter of a LoRA fine-tune. {@link #defaults()} follows the SafeLoRA reference
 * recipe (r = 8, alpha = 16, q_proj and v_proj, lr 2e-4, 3 epochs). Invalid values are rejected
 * here with a message naming the field, before any model is loaded.
 *
 * @param checkpointEvery optimizer steps between checkpoints; 0 writes none
 * @param warmupSteps     optimizer steps of linear warm-up
 * @param maxGradNorm     clip the global gradient norm to this; 0 disables clipping
 * @param groupByLength   put examples of similar length into the same optimizer step (see {@link TrainingPlan}), so
 *                        batches carry little padding; the order of the steps stays random. Off by default, as
 *                        transformers' {@code group_by_length}: it changes which examples share a step, so a seeded
 *                        run trains differently with it than without, and recipes tuned without it keep their results
 */
public record TrainingConfig(
        int epochs,
        double learningRate,
        int rank,
        double alpha,
        boolean rsLora,
        List<String> targetModules,
        int batchSize,
        int gradAccumulation,
        int maxSeqLen,
        PromptTemplate template,
        long seed,
        int checkpointEvery,
        int warmupSteps,
        LearningRateSchedule.Decay decay,
        double weightDecay,
        double dropout,
        double maxGradNorm,
        String device,
        boolean groupByLength) {

    public static final double ADAM_BETA1 = 0.9;
    public static final double ADAM_BETA2 = 0.999;
    public static final double ADAM_EPS = 1e-8;

    /** Modules PEFT would adapt with embedding LoRA or as a separate head, which this trainer does not train. */
    static final java.util.Set<String> NOT_LORA_TARGETS = java.util.Set.of("lm_head", "embed_tokens");

    public TrainingConfig {
        targetModules = List.copyOf(Objects.requireNonNull(targetModules, "targetModules"));
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(decay, "decay");
        Objects.requireNonNull(device, "device");
        require(epochs >= 1, "epochs must be >= 1, got " + epochs);
        require(learningRate > 0 && Double.isFinite(learningRate), "learning rate must be positive and finite, got " + learningRate);
        require(rank >= 1, "rank must be >= 1, got " + rank);
        require(alpha > 0 && Double.isFinite(alpha), "alpha must be positive, got " + alpha);
        require(!targetModules.isEmpty(), "at least one target module is needed");
        for (String t : targetModules) {
            require(!t.isBlank(), "a target module name is blank");
            String last = t.substring(t.lastIndexOf('.') + 1);
            require(!NOT_LORA_TARGETS.contains(last), "target module " + t + " is not supported: LoRA is trained on the decoder's"
                    + " linear layers (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj), not on " + last);
        }
        require(batchSize >= 1, "batch size must be >= 1, got " + batchSize);
        require(gradAccumulation >= 1, "gradient accumulation must be >= 1, got " + gradAccumulation);
        require(maxSeqLen >= 2, "max sequence length must be >= 2, got " + maxSeqLen);
        require(checkpointEvery >= 0, "checkpoint interval must be >= 0, got " + checkpointEvery);
        require(warmupSteps >= 0, "warm-up steps must be >= 0, got " + warmupSteps);
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight decay must be >= 0, got " + weightDecay);
        require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got " + dropout);
        require(maxGradNorm >= 0 && Double.isFinite(maxGradNorm), "max gradient norm must be >= 0, got " + maxGradNorm);
    }

    /** The same defaults as a training request's (examples/requests/README.md): one recipe, CLI or pipeline. */
    public static TrainingConfig defaults() {
        return new TrainingConfig(3, 2e-4, 8, 16, false, List.of("q_proj", "v_proj"), 4, 1, 512,
                PromptTemplate.RAW, 42, 0, 0, LearningRateSchedule.Decay.LINEAR, 0.0, 0.05, 1.0, "cpu", false);
    }

    public TrainingConfig withEpochs(int v) { return new TrainingConfig(v, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withLearningRate(double v) { return new TrainingConfig(epochs, v, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withRank(int v) { return new TrainingConfig(epochs, learningRate, v, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withAlpha(double v) { return new TrainingConfig(epochs, learningRate, rank, v, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withRsLora(boolean v) { return new TrainingConfig(epochs, learningRate, rank, alpha, v, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withTargetModules(List<String> v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, v, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withBatchSize(int v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, v, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withGradAccumulation(int v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, v, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withMaxSeqLen(int v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, v, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withTemplate(PromptTemplate v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, v, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withSeed(long v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, v, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withCheckpointEvery(int v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, v, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withWarmupSteps(int v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, v, decay, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withDecay(LearningRateSchedule.Decay v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, v, weightDecay, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withWeightDecay(double v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, v, dropout, maxGradNorm, device, groupByLength); }
    public TrainingConfig withDropout(double v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, v, maxGradNorm, device, groupByLength); }
    public TrainingConfig withMaxGradNorm(double v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, v, device, groupByLength); }
    public TrainingConfig withDevice(String v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, v, groupByLength); }

    public TrainingConfig withGroupByLength(boolean v) { return new TrainingConfig(epochs, learningRate, rank, alpha, rsLora, targetModules, batchSize, gradAccumulation, maxSeqLen, template, seed, checkpointEvery, warmupSteps, decay, weightDecay, dropout, maxGradNorm, device, v); }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
