package dev.safelora.cli;

import dev.safelora.alignment.TargetModules;
import dev.safelora.training.ConsoleProgressBar;
import dev.safelora.training.LearningRateSchedule;
import dev.safelora.training.StopSignal;
import dev.safelora.training.TrainingConfig;
import dev.safelora.training.TrainingJob;
import dev.safelora.training.TrainingResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code safelora train}: LoRA fine-tuning into a PEFT adapter directory. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tunes fresh LoRA factors on a JSONL dataset into a PEFT adapter directory.",
            "Writes adapter_config.json + adapter_model.safetensors, training_log.jsonl and training_config.json into --out.",
            "Dataset lines: {\"prompt\",\"response\"}, {\"messages\":[{\"role\",\"content\"},...]} or {\"question\",\"answer\"};",
            "the loss covers the response (and EOS) only. Ctrl-C stops after the current step with a checkpoint;",
            "--resume continues from the newest checkpoint and ends with the same adapter as an uninterrupted run."})
final class TrainCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory (config.json, safetensors, tokenizer.json)")
    Path model;

    @Option(names = "--base-model", paramLabel = "NAME", description = "base_model_name_or_path to write: the hub id or name"
            + " serving loads the base model by (default: the --model directory)")
    String baseModelName;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "training data, JSONL")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory (adapter, log, checkpoints)")
    Path out;

    @Option(names = "--epochs", paramLabel = "N", description = "default 3")
    Integer epochs;

    @Option(names = "--lr", paramLabel = "X", description = "peak learning rate (default 2e-4)")
    Double lr;

    @Option(names = "--rank", paramLabel = "R", description = "LoRA rank r (default 8)")
    Integer rank;

    @Option(names = "--alpha", paramLabel = "A", description = "LoRA alpha; scale = alpha / r (default 16)")
    Double alpha;

    @Option(names = "--rslora", description = "rank-stabilised LoRA: scale = alpha / sqrt(r) (PEFT use_rslora)")
    boolean rsLora;

    @Option(names = "--targets", split = ",", paramLabel = "LIST", description = "target modules; 'all' for every attention and MLP projection (default q_proj,v_proj)")
    List<String> targets;

    @Option(names = "--batch-size", paramLabel = "B", description = "examples per micro-batch (default 4)")
    Integer batchSize;

    @Option(names = "--grad-accum", paramLabel = "G", description = "micro-batches per optimizer step (default 1)")
    Integer gradAccum;

    @Option(names = "--max-seq-len", paramLabel = "L", description = "tokens per example; longer ones lose their end (default 512)")
    Integer maxSeqLen;

    @Mixin
    TemplateOption template;

    @Option(names = "--seed", paramLabel = "S", description = "seed of LoRA init, data order and dropout (default 42)")
    Long seed;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "optimizer steps between checkpoints; 0 = none (default 0)")
    Integer checkpointEvery;

    @Option(names = "--resume", description = "continue from the newest checkpoint in --out")
    boolean resume;

    @Option(names = "--skip-bad-lines", description = "skip and count dataset lines that cannot be parsed instead of failing")
    boolean skipBadLines;

    @Option(names = "--warmup", paramLabel = "W", description = "optimizer steps of linear warm-up (default 0)")
    Integer warmup;

    @Option(names = "--schedule", paramLabel = "linear|cosine", description = "decay after warm-up (default linear)")
    LearningRateSchedule.Decay schedule;

    @Option(names = "--weight-decay", paramLabel = "X", description = "AdamW decoupled weight decay (default 0)")
    Double weightDecay;

    @Option(names = "--dropout", paramLabel = "X", description = "LoRA dropout (default 0.05)")
    Double dropout;

    @Option(names = "--max-grad-norm", paramLabel = "X", description = "clip the global gradient norm; 0 = off (default 1.0)")
    Double maxGradNorm;

    @Option(names = "--group-by-length", description = {"group examples of similar length into the same optimizer step (less padding computed,",
        "1.7-1.9x tokens/s on mixed lengths; the step order stays random); off by default: it changes a seeded run's data order"})
    boolean groupByLength;

    @Option(names = "--device", converter = DeviceSyntax.class, paramLabel = "cpu|cuda|cuda:N", description = "default cpu (fp32); cuda trains with bf16 autocast")
    String device;

    @Override
    public Integer call() throws InterruptedException {
        TrainingConfig config = OneLineErrors.optionValue(spec, this::config);
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        StopSignal stop = new StopSignal();
        CountDownLatch finished = new CountDownLatch(1);
        // Ctrl-C: ask the trainer to stop after the current step, and hold the JVM until it has
        // written its checkpoint (the JVM waits for shutdown hooks), so no step is cut in half.
        Thread hook = new Thread(() -> {
            stop.request();
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "safelora-train-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        if (resume && !TrainingJob.hasCheckpoint(out)) {
            // not an error: a job that is resumed after a restart may not have reached its first checkpoint
            err.println("train: --resume found no checkpoint in " + out + "; starting from step 0");
            err.flush();
        }
        TrainingResult result;
        try {
            result = new TrainingJob(model, data, out, config, resume, skipBadLines, baseModelName)
                    .run(ConsoleProgressBar.forConsole(err), stop);
        } catch (dev.safelora.training.DatasetReader.BadLine e) {
            throw new IllegalArgumentException(e.getMessage() + " (use --skip-bad-lines to skip such lines)", e);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that training has ended
            }
        }
        if (result.stopped()) {
            err.printf(Locale.ROOT, "stopped at step %d of %d; checkpoint %s; continue with --resume%n",
                    result.steps(), result.totalSteps(), result.checkpointDir());
            err.flush();
            return 130;
        }
        stdout.printf(Locale.ROOT, "adapter %s%ntraining log %s%nfinal loss %.4f, %d steps, %.0f tokens/s%n",
                result.adapterDir(), result.logFile(), result.finalLoss(), result.steps(), result.tokensPerSecond());
        stdout.flush();
        return 0;
    }

    TrainingConfig config() {
        TrainingConfig c = TrainingConfig.defaults();
        if (epochs != null) c = c.withEpochs(epochs);
        if (lr != null) c = c.withLearningRate(lr);
        if (rank != null) c = c.withRank(rank);
        if (alpha != null) c = c.withAlpha(alpha);
        if (rsLora) c = c.withRsLora(true);
        if (targets != null) c = c.withTargetModules(TargetModules.expandAll(targets.stream().map(String::strip).toList()));
        if (batchSize != null) c = c.withBatchSize(batchSize);
        if (gradAccum != null) c = c.withGradAccumulation(gradAccum);
        if (maxSeqLen != null) c = c.withMaxSeqLen(maxSeqLen);
        c = c.withTemplate(template.template);
        if (seed != null) c = c.withSeed(seed);
        if (checkpointEvery != null) c = c.withCheckpointEvery(checkpointEvery);
        if (warmup != null) c = c.withWarmupSteps(warmup);
        if (schedule != null) c = c.withDecay(schedule);
        if (weightDecay != null) c = c.withWeightDecay(weightDecay);
        if (dropout != null) c = c.withDropout(dropout);
        if (maxGradNorm != null) c = c.withMaxGradNorm(maxGradNorm);
        if (device != null) c = c.withDevice(device);
        if (groupByLength) c = c.withGroupByLength(true);
        return c;
    }
}
