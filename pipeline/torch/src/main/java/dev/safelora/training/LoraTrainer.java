package dev.safelora.training;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.model.Adapters;
import dev.safelora.model.CausalLm;
import dev.safelora.model.CausalLmLoss;
import dev.safelora.model.ComputeDevice;
import dev.safelora.model.DeviceFailure;
import dev.safelora.model.FlatParameters;
import dev.safelora.model.Tensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains fresh LoRA factors on a {@link CausalLm} and writes them as a PEFT adapter.
 *
 * <p>Each optimizer step: seed libtorch's generator from (seed, step) for dropout; run the step's
 * micro-batches forward and backward, each inside its own {@link PointerScope}, with the loss
 * summed over response tokens and divided by the step's total response tokens (so gradient
 * accumulation equals one big batch); clip the global gradient norm; AdamW with the scheduled
 * learning rate. Everything that decides a step is a function of the step index and the
 * checkpointed tensors, so a resumed run ends with the same bytes as an uninterrupted one.
 *
 * <p>Output directory: {@code adapter_config.json} + {@code adapter_model.safetensors} (PEFT),
 * {@code training_log.jsonl}, and {@code checkpoints/step-N/} when checkpointing.
 */
public final class LoraTrainer {

    public static final String LOG_FILE = "training_log.jsonl";
    /** Every hyperparameter and the data fingerprint of a finished run, for audit. */
    public static final String CONFIG_FILE = "training_config.json";

    private final TrainingConfig config;
    private final TrainingListener listener;
    private final StopSignal stop;
    private final boolean explicitPaddingMask;

    public LoraTrainer(TrainingConfig config, TrainingListener listener, StopSignal stop) {
        this(config, listener, stop, false);
    }

    private LoraTrainer(TrainingConfig config, TrainingListener listener, StopSignal stop, boolean explicitPaddingMask) {
        this.explicitPaddingMask = explicitPaddingMask;
        this.config = config;
        this.listener = listener == null ? new TrainingListener() { } : listener;
        this.stop = stop == null ? new StopSignal() : stop;
    }

    /**
     * Adds trainable LoRA to {@code model} (which must have none yet), trains it on {@code examples}
     * and writes the adapter into {@code outDir}. With {@code resume}, continues from the newest
     * checkpoint in {@code outDir} (or starts afresh when there is none).
     */
    public TrainingResult train(CausalLm model, List<TokenizedExample> examples, int padId, String baseModel,
                                Path outDir, boolean resume) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no examples to train on");
        }
        for (int i = 0; i < examples.size(); i++) {
            if (examples.get(i).trainedTokens() == 0) {
                throw new IllegalArgumentException("example " + i + " has no response token to train on");
            }
        }
        TrainingPlan plan = plan(config, examples);
        long totalSteps = plan.totalSteps();
        LearningRateSchedule schedule = new LearningRateSchedule(config.learningRate(), config.warmupSteps(),
                totalSteps, config.decay());
        String fingerprint = fingerprint(examples, padId, model.device(), baseModel);

        List<String> modules = model.addTrainableLora(Adapters.spec(loraConfig(baseModel), config.seed()));
        List<String> names = new ArrayList<>();
        for (String module : modules) {
            names.add(module + ".lora_A");
            names.add(module + ".lora_B");
        }
        FlatParameters flat = model.flattenTrainableParameters();
        if (flat.views().size() != names.size()) {
            throw new IllegalStateException("expected " + names.size() + " trainable tensors, the model has " + flat.views().size());
        }
        // The moments live outside every pointer scope: free them when this run ends, not at some GC.
        try (LoraAdamW optimizer = new LoraAdamW(flat, TrainingConfig.ADAM_BETA1, TrainingConfig.ADAM_BETA2,
                TrainingConfig.ADAM_EPS, config.weightDecay())) {
            return resumeAndRun(model, examples, padId, baseModel, outDir, resume, plan, schedule, fingerprint, names, optimizer);
        }
    }

    private TrainingResult resumeAndRun(CausalLm model, List<TokenizedExample> examples, int padId, String baseModel, Path outDir, boolean resume,
                                 TrainingPlan plan, LearningRateSchedule schedule, String fingerprint, List<String> names,
                                 LoraAdamW optimizer) {

        long startStep = 0;
        long tokensBefore = 0;
        if (resume) {
            Optional<TrainingCheckpoint> checkpoint = TrainingCheckpoint.latest(outDir);
            if (checkpoint.isPresent()) {
                TrainingCheckpoint c = checkpoint.get();
                if (!c.fingerprint().equals(fingerprint)) {
                    throw new IllegalArgumentException("checkpoint " + c.directory() + " belongs to a different run"
                            + " (hyperparameters, data, tokenizer, device kind or precision differ); use another --out or drop --resume");
                }
                c.restore(names, optimizer);
                startStep = c.step();
                tokensBefore = c.tokens();
            }
        }

        createDirectories(outDir);
        truncateLog(outDir.resolve(LOG_FILE), startStep);
        return runSteps(model, examples, padId, baseModel, outDir, startStep, tokensBefore, plan, schedule, fingerprint, names,
                optimizer);
    }

    private TrainingResult runSteps(CausalLm model, List<TokenizedExample> examples, int padId, String baseModel, Path outDir,
                                    long startStep, long tokensBefore, TrainingPlan plan, LearningRateSchedule schedule,
                                    String fingerprint, List<String> names, LoraAdamW optimizer) {
        long totalSteps = plan.totalSteps();
        model.train();
        listener.onStart(totalSteps, startStep);

        long started = System.nanoTime();
        long tokens = 0;
        long step = startStep;
        double lastLoss = Double.NaN;
        Path lastCheckpoint = null;
        Tensor stepLoss = newScalar(model);
        try (JsonlTrainingLog log = new JsonlTrainingLog(outDir.resolve(LOG_FILE), true)) {
            while (step < totalSteps && !stop.requested()) {
                List<Batch> batches = new ArrayList<>();
                for (int[] indices : plan.microBatches(step)) {
                    List<TokenizedExample> rows = new ArrayList<>();
                    for (int i : indices) {
                        rows.add(examples.get(i));
                    }
                    batches.add(Batch.of(rows, padId));
                }
                long trained = batches.stream().mapToLong(Batch::trainedTokens).sum();
                CausalLm.seed(TrainingPlan.mix(config.seed(), step + 1));
                double lossSum;
                double gradNorm;
                try {
                    for (Batch batch : batches) {
                        try (PointerScope scope = new PointerScope()) {
                            stepLoss.add_(forwardBackward(model, batch, trained, explicitPaddingMask));
                        }
                        tokens += batch.tokens();
                    }
                    try (PointerScope scope = new PointerScope()) {
                        // The step's one host sync: the summed loss and the gradient norm, read back together.
                        Tensor norm = optimizer.clipGradNorm(config.maxGradNorm());
                        float[] both = Tensors.toFloats(torch.stack(new TensorVector(stepLoss, norm)));
                        lossSum = both[0];
                        gradNorm = both[1];
                    }
                } catch (RuntimeException e) {
                    if (!DeviceFailure.isDeviceFailure(e)) {
                        throw e;
                    }
                    // The parameters are still those after step `step`: keep them, if the device still answers,
                    // so that the next process resumes here rather than at the last periodic checkpoint.
                    try {
                        lastCheckpoint = checkpoint(outDir, step, tokensBefore + tokens, fingerprint, names, optimizer).directory();
                    } catch (RuntimeException unsaved) {
                        e.addSuppressed(unsaved);
                    }
                    throw DeviceFailure.of(e, "training step " + (step + 1), model.device());
                }
                stepLoss.zero_();
                double lr = schedule.at(step);
                optimizer.step(lr);
                optimizer.zeroGrad();
                step++;
                lastLoss = lossSum / trained;
                if (!Double.isFinite(lastLoss)) {
                    throw new IllegalStateException("the loss became " + lastLoss + " at step " + step
                            + "; lower the learning rate or check the data");
                }
                Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
                double seconds = elapsed.toNanos() / 1e9;
                long doneHere = step - startStep;
                Duration eta = Duration.ofMillis((long) (seconds / doneHere * (totalSteps - step) * 1000));
                TrainingProgress progress = new TrainingProgress(step, totalSteps, plan.epochOf(step - 1) + 1,
                        config.epochs(), lastLoss, lr, gradNorm, tokensBefore + tokens, tokens / seconds, elapsed, eta);
                log.onStep(progress);
                listener.onStep(progress);
                if (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0 && step < totalSteps) {
                    lastCheckpoint = checkpoint(outDir, step, tokensBefore + tokens, fingerprint, names, optimizer).directory();
                }
            }
            if (step < totalSteps) {
                // Stopped between steps: keep the work done so far resumable.
                lastCheckpoint = checkpoint(outDir, step, tokensBefore + tokens, fingerprint, names, optimizer).directory();
            }
        } finally {
            stepLoss.close();
            model.eval();
        }

        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        double tokensPerSecond = tokens / Math.max(1e-9, elapsed.toNanos() / 1e9);
        Path adapterDir = null;
        boolean stopped = step < totalSteps;
        if (!stopped) {
            adapter(model, baseModel).write(outDir);
            writeRunRecord(outDir.resolve(CONFIG_FILE), baseModel, fingerprint, examples.size(), step, tokensBefore + tokens, lastLoss);
            adapterDir = outDir;
        }
        TrainingResult result = new TrainingResult(stopped, step, totalSteps, lastLoss, tokensBefore + tokens,
                tokensPerSecond, elapsed, adapterDir, lastCheckpoint, outDir.resolve(LOG_FILE));
        listener.onFinish(result);
        return result;
    }

    /** The plan of a run: grouped by length when the config asks for it (off by default), else plain shuffled batches. */
    public static TrainingPlan plan(TrainingConfig config, List<TokenizedExample> examples) {
        if (!config.groupByLength()) {
            return new TrainingPlan(examples.size(), config.batchSize(), config.gradAccumulation(), config.epochs(),
                    config.seed());
        }
        return TrainingPlan.byLength(examples.stream().mapToInt(TokenizedExample::length).toArray(), config.batchSize(),
                config.gradAccumulation(), config.epochs(), config.seed());
    }

    /**
     * Passes every padded micro-batch's padding mask to attention, as this trainer did before it used the causal
     * fast path: the same results within float rounding, slower. For benchmarks and tests that compare the two.
     */
    public LoraTrainer withExplicitPaddingMask() {
        return new LoraTrainer(config, listener, stop, true);
    }

    /** This trainer reporting to {@code listener} instead. */
    public LoraTrainer withListener(TrainingListener listener) {
        return new LoraTrainer(config, listener, stop, explicitPaddingMask);
    }

    /** The PEFT adapter of the model's current LoRA factors. */
    public PeftAdapter adapter(CausalLm model, String baseModel) {
        return Adapters.export(model, loraConfig(baseModel));
    }

    /** The PEFT LoRA config of this run: the factors are created from it and exported with it. */
    private LoraConfig loraConfig(String baseModel) {
        return new LoraConfig(config.rank(), config.alpha(), config.rsLora(), config.targetModules(),
                config.dropout(), baseModel, false);
    }

    private void writeRunRecord(Path file, String baseModel, String fingerprint, int examples, long steps, long tokens,
                                double finalLoss) {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root = json.createObjectNode();
        root.put("base_model", baseModel);
        root.set("config", json.valueToTree(config));
        root.put("examples", examples).put("steps", steps).put("tokens", tokens).put("final_loss", finalLoss)
                .put("data_and_config_sha256", fingerprint);
        try {
            Files.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** A persistent fp32 zero on the model's device that sums a step's losses without reading them back. */
    private static Tensor newScalar(CausalLm model) {
        try (PointerScope scope = new PointerScope()) {
            return Tensors.keep(torch.zeros(new long[] {}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Float)
                    .device(new org.bytedeco.pytorch.DeviceOptional(model.device().torchDevice()))));
        }
    }

    /**
     * Forward and backward of one micro-batch; returns its summed (undivided) loss as a detached 0-d tensor, left
     * on the device (reading it here would sync the host once per micro-batch). The model's forward runs under
     * the autocast its precision asks for; backward runs outside it, as PyTorch recommends.
     *
     * <p>No padding mask reaches attention: a batch is padded on the right, so under the causal mask a real token
     * never sees a pad (pads come after it), and the pads' own outputs have label IGNORE, so they add nothing to the
     * loss and exactly zero to every gradient. Attention then takes the kernel's causal fast path for every batch,
     * where a boolean mask would send it to the general (slower, on CUDA memory-hungrier) kernel.
     */
    private static Tensor forwardBackward(CausalLm model, Batch batch, long stepTokens, boolean explicitPaddingMask) {
        Tensor ids = Tensors.fromLongs(batch.inputIds(), batch.rows(), batch.length());
        boolean padded = batch.tokens() < (long) batch.rows() * batch.length();
        Tensor mask = explicitPaddingMask && padded ? Tensors.fromLongs(batch.attentionMask(), batch.rows(), batch.length()) : null;
        Tensor labels = Tensors.fromLongs(batch.labels(), batch.rows(), batch.length());
        Tensor logits = model.forward(ids, mask);
        Tensor loss = CausalLmLoss.summed(logits, labels);
        loss.div(new org.bytedeco.pytorch.Scalar((double) stepTokens)).backward();
        return loss.detach();
    }

    private TrainingCheckpoint checkpoint(Path outDir, long step, long tokens, String fingerprint, List<String> names,
                                          LoraAdamW optimizer) {
        TrainingCheckpoint c = TrainingCheckpoint.write(outDir, step, tokens, fingerprint, names, optimizer);
        listener.onCheckpoint(step, c.directory());
        return c;
    }

    /**
     * Identifies a run: every hyperparameter that changes the result, the tokenized data, and the base model the
     * adapter names (a trainer switched from the base to the aligned checkpoint must not resume the other's factors).
     */
    String fingerprint(List<TokenizedExample> examples, int padId, ComputeDevice device, String baseModel) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            // The device kind and precision change the arithmetic: a CPU fp32 checkpoint must not resume on a
            // CUDA bf16 run (or the reverse) as if it were the same run. The CUDA index does not.
            String hyper = String.join("|", "v4", baseModel, config.groupByLength() ? "by-length" : "shuffled", device.cuda() ? "cuda" : "cpu", device.precision().name(), Integer.toString(config.epochs()), Double.toString(config.learningRate()),
                    Integer.toString(config.rank()), Double.toString(config.alpha()) + (config.rsLora() ? "/sqrt(r)" : ""),
                    String.join(",", config.targetModules()),
                    Integer.toString(config.batchSize()), Integer.toString(config.gradAccumulation()),
                    Long.toString(config.seed()), Integer.toString(config.warmupSteps()), config.decay().name(),
                    Double.toString(config.weightDecay()), Double.toString(config.dropout()),
                    Double.toString(config.maxGradNorm()), Integer.toString(padId));
            sha.update(hyper.getBytes(StandardCharsets.UTF_8));
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8);
            for (TokenizedExample ex : examples) {
                sha.update(buf.clear().putInt(ex.length()).putInt(-1).array());
                for (int i = 0; i < ex.length(); i++) {
                    sha.update(buf.clear().putInt(ex.inputIds()[i]).putInt(ex.labels()[i]).array());
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create output directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Keeps the log lines of steps up to {@code step}: a resumed run rewrites what came after. */
    private static void truncateLog(Path log, long step) {
        try {
            if (step == 0) {
                Files.deleteIfExists(log);
                return;
            }
            if (!Files.exists(log)) {
                return;
            }
            List<String> kept = new ArrayList<>();
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            for (String line : Files.readAllLines(log)) {
                try {
                    if (json.readTree(line).path("step").asLong(Long.MAX_VALUE) <= step) {
                        kept.add(line);
                    }
                } catch (IOException unreadable) {
                    // a line cut short by a crash: drop it
                }
            }
            Files.write(log, kept);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite training log " + log + ": " + e.getMessage(), e);
        }
    }
}
