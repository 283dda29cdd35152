package dev.safelora.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.model.CausalLm;
import dev.safelora.model.ComputeDevice;
import dev.safelora.model.LoraFactors;
import dev.safelora.model.LoraSpec;
import dev.safelora.model.ModelConfig;
import dev.safelora.model.TinyModels;
import dev.safelora.tensor.SafetensorsWriter;
import dev.safelora.training.Batch;
import dev.safelora.training.LearningRateSchedule;
import dev.safelora.training.LoraTrainer;
import dev.safelora.training.ModelText;
import dev.safelora.training.TokenizedExample;
import dev.safelora.training.TrainingConfig;
import dev.safelora.training.TrainingListener;
import dev.safelora.training.TrainingPlan;
import dev.safelora.training.TrainingProgress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.global.torch;

/**
 * Training throughput of {@link LoraTrainer} on a generated model, and the exact inputs for the
 * PyTorch eager baseline ({@code benchmarks/train_bench.py}) to run the same steps: the model
 * directory, every step's padded micro-batches and learning rate, and the initial LoRA factors.
 * Dropout is off so both runs compute the same losses, which the baseline compares step by step.
 */
public final class TrainingBenchmark {

    /** The benchmark's shape and loop; {@code mixedLengths} draws each example's length (see {@link #exampleLengths}). */
    public record Settings(int hidden, int intermediate, int layers, int heads, int seqLen, int batchSize,
                           int gradAccumulation, int steps, int warmupSteps, int threads, List<String> targets,
                           int rank, long seed, boolean mixedLengths) {
    }

    /**
     * How the trainer batches and attends. {@link #BEFORE} is how it ran before length grouping and the causal fast
     * path (shuffled batches, the padding mask passed to attention); {@link #CAUSAL} is how it runs by default now,
     * {@link #GROUPED} with {@code train --group-by-length}.
     */
    public enum Mode {
        BEFORE("shuffled batches, padding mask to attention"),
        CAUSAL("shuffled batches, causal fast path"),
        GROUPED("grouped by length, causal fast path");

        public final String description;

        Mode(String description) {
            this.description = description;
        }
    }

    /**
     * Tokens per second over the timed steps (after {@code warmupSteps} untimed ones), and from the
     * median step time, which a busy machine disturbs less. Tokens are real ones, padding not counted.
     * {@code paddedTokens} is what the timed steps computed, padding included. {@code peakRssKb}: the process's
     * peak resident set, {@code startRssKb} its resident set before the model was loaded; both 0 where /proc is
     * unavailable.
     */
    public record Result(double tokensPerSecond, double medianTokensPerSecond, double tokensPerCpuSecond, long timedTokens,
                         double timedSeconds, List<Double> losses, List<Double> stepSeconds, long paddedTokens,
                         long startRssKb, long peakRssKb) {
    }

    private TrainingBenchmark() {
    }

    /** Writes the model and the baseline's inputs into {@code dir}, then trains and times as the trainer runs now. */
    public static Result run(Settings s, Path dir) {
        return run(s, dir, Mode.GROUPED);
    }

    /**
     * Writes the model and the baseline's inputs (the micro-batches of {@code mode}) into {@code dir}, then trains
     * and times in that mode. The peak resident set is the process's: give each mode a process of its own to compare
     * them (freed native memory stays with the allocator, so a second run in the same process would look smaller).
     */
    public static Result run(Settings s, Path dir, Mode mode) {
        torch.set_num_threads(s.threads());
        Path modelDir = dir.resolve("model");
        ModelConfig config = TinyModels.write(modelDir,
                TinyModels.Shape.llama().withLayers(s.layers()).withSize(s.hidden(), s.intermediate(), s.heads(), s.heads()), s.seed());
        int examples = s.batchSize() * s.gradAccumulation() * s.steps();
        List<TokenizedExample> data = syntheticExamples(exampleLengths(s, examples), config.vocabSize(), s.seed());
        TrainingConfig training = TrainingConfig.defaults().withEpochs(1).withLearningRate(1e-3).withRank(s.rank())
                .withAlpha(2.0 * s.rank()).withTargetModules(s.targets()).withBatchSize(s.batchSize())
                .withGradAccumulation(s.gradAccumulation()).withMaxSeqLen(s.seqLen()).withSeed(s.seed()).withDropout(0)
                .withWarmupSteps(2).withGroupByLength(mode == Mode.GROUPED);
        writeBaselineInputs(dir, s, training, data, modelDir, config);
        LoraTrainer trainer = new LoraTrainer(training, null, null);
        return timed(s, mode == Mode.BEFORE ? trainer.withExplicitPaddingMask() : trainer, training, data, modelDir, config,
                dir.resolve("java-out"));
    }

    private static Result timed(Settings s, LoraTrainer untimed, TrainingConfig training, List<TokenizedExample> data,
                                Path modelDir, ModelConfig config, Path out) {
        List<Double> losses = new ArrayList<>();
        long[] timedTokens = {0};
        long[] timedStart = {0};
        long[] timedEnd = {0};
        long[] cpuStart = {0};
        long[] cpuEnd = {0};
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        List<Double> stepSeconds = new ArrayList<>();
        List<Long> stepTokens = new ArrayList<>();
        TrainingListener timer = new TrainingListener() {
            private long lastTokens;
            private long lastNow = System.nanoTime();
            private long lastStepTokens;

            @Override
            public void onStep(TrainingProgress p) {
                losses.add(p.loss());
                long now = System.nanoTime();
                if (p.step() > s.warmupSteps()) {
                    stepSeconds.add((now - lastNow) / 1e9);
                    stepTokens.add(p.tokens() - lastStepTokens);
                }
                lastNow = now;
                lastStepTokens = p.tokens();
                if (p.step() == s.warmupSteps()) {
                    timedStart[0] = now;
                    cpuStart[0] = threads.getCurrentThreadCpuTime();
                    lastTokens = p.tokens();
                }
                if (p.step() > s.warmupSteps()) {
                    timedTokens[0] = p.tokens() - lastTokens;
                    timedEnd[0] = now;
                    cpuEnd[0] = threads.getCurrentThreadCpuTime();
                }
            }
        };
        LoraTrainer trainer = untimed.withListener(timer);
        long startRss = ResidentSet.currentKb();
        try (CausalLm model = CausalLm.load(modelDir, ComputeDevice.cpu())) {
            trainer.train(model, data, ModelText.padId(config), modelDir.toString(), out, false);
        }
        long peakRss = ResidentSet.peakKb();
        double seconds = (timedEnd[0] - timedStart[0]) / 1e9;
        List<Double> perStep = new ArrayList<>();
        for (int i = 0; i < stepSeconds.size(); i++) {
            perStep.add(stepTokens.get(i) / stepSeconds.get(i));
        }
        perStep.sort(null);
        double median = perStep.isEmpty() ? Double.NaN : perStep.get(perStep.size() / 2);
        double cpuSeconds = (cpuEnd[0] - cpuStart[0]) / 1e9;
        return new Result(timedTokens[0] / seconds, median, timedTokens[0] / cpuSeconds, timedTokens[0], seconds, losses,
                stepSeconds, paddedTokens(LoraTrainer.plan(training, data), data, s.warmupSteps()), startRss, peakRss);
    }

    /** Positions the timed steps compute, padding included: rows x the longest row, per micro-batch. */
    private static long paddedTokens(TrainingPlan plan, List<TokenizedExample> data, int warmupSteps) {
        long total = 0;
        for (long step = warmupSteps; step < plan.totalSteps(); step++) {
            for (int[] m : plan.microBatches(step)) {
                int longest = 0;
                for (int i : m) {
                    longest = Math.max(longest, data.get(i).length());
                }
                total += (long) longest * m.length;
            }
        }
        return total;
    }

    /**
     * Every example {@code seqLen} tokens, or with {@code mixedLengths} a length drawn from a log-normal
     * distribution cut to [16, seqLen] with median seqLen / 4 and sigma 0.8 (seeded): mostly short examples and
     * a long tail, the shape of instruction-tuning sets (Alpaca, GSM8K, chat turns), whose median is a small
     * fraction of the usual 512- or 1024-token cut.
     */
    static int[] exampleLengths(Settings s, int count) {
        int[] lengths = new int[count];
        Random random = new Random(s.seed() * 31 + 7);
        for (int i = 0; i < count; i++) {
            lengths[i] = !s.mixedLengths() ? s.seqLen()
                    : (int) Math.max(16, Math.min(s.seqLen(), Math.round(s.seqLen() / 4.0 * Math.exp(0.8 * random.nextGaussian()))));
        }
        return lengths;
    }

    /** Random prompts of a quarter of each length and responses for the rest. */
    static List<TokenizedExample> syntheticExamples(int[] lengths, int vocab, long seed) {
        Random random = new Random(seed);
        List<TokenizedExample> out = new ArrayList<>();
        for (int length : lengths) {
            int[] ids = new int[length];
            int[] labels = new int[length];
            for (int t = 0; t < length; t++) {
                ids[t] = 4 + random.nextInt(vocab - 4);
                labels[t] = t < length / 4 ? TokenizedExample.IGNORE : ids[t];
            }
            out.add(new TokenizedExample(ids, labels));
        }
        return out;
    }

    private static void writeBaselineInputs(Path dir, Settings s, TrainingConfig training, List<TokenizedExample> data,
                                            Path modelDir, ModelConfig config) {
        ObjectMapper json = new ObjectMapper();
        TrainingPlan plan = LoraTrainer.plan(training, data);
        LearningRateSchedule schedule = new LearningRateSchedule(training.learningRate(), training.warmupSteps(),
                plan.totalSteps(), training.decay());
        ObjectNode root = json.createObjectNode();
        root.put("threads", s.threads()).put("warmup_steps", s.warmupSteps()).put("rank", s.rank())
                .put("alpha", training.alpha()).put("max_grad_norm", training.maxGradNorm())
                .put("weight_decay", training.weightDecay());
        root.putPOJO("targets", s.targets());
        ArrayNode steps = root.putArray("steps");
        int padId = ModelText.padId(config);
        for (long step = 0; step < plan.totalSteps(); step++) {
            ObjectNode st = steps.addObject().put("lr", schedule.at(step));
            ArrayNode micro = st.putArray("micro_batches");
            for (int[] indices : plan.microBatches(step)) {
                List<TokenizedExample> rows = new ArrayList<>();
                for (int i : indices) {
                    rows.add(data.get(i));
                }
                Batch b = Batch.of(rows, padId);
                ObjectNode mb = micro.addObject().put("rows", b.rows()).put("length", b.length());
                mb.putPOJO("input_ids", b.inputIds());
                mb.putPOJO("labels", b.labels());
                mb.putPOJO("attention_mask", b.attentionMask());
            }
        }
        try {
            json.writeValue(dir.resolve("batches.json").toFile(), root);
            // The trainer's initial factors: the same spec and seed on a fresh model.
            CausalLm fresh = CausalLm.load(modelDir, ComputeDevice.cpu());
            fresh.addTrainableLora(new LoraSpec(training.rank(), training.alpha(), false, training.targetModules(), 0,
                    training.seed()));
            SafetensorsWriter init = new SafetensorsWriter();
            for (LoraFactors f : fresh.exportLora()) {
                init.addFloats(f.module() + ".lora_A", new long[] {f.r(), f.in()}, f.a());
                init.addFloats(f.module() + ".lora_B", new long[] {f.out(), f.r()}, f.b());
            }
            init.write(dir.resolve("lora_init.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
