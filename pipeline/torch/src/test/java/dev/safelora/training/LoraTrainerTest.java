package dev.safelora.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.model.CausalLm;
import dev.safelora.model.ComputeDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraTrainerTest {

    @TempDir
    Path dir;
    Path model;
    Path data;

    @BeforeAll
    static void oneThread() {
        TinyTask.oneTorchThread();
    }

    @BeforeEach
    void setUp() throws IOException {
        model = TinyTask.model(dir);
        data = TinyTask.data(dir);
    }

    private TrainingResult train(TrainingConfig config, Path out, boolean resume, TrainingListener listener, StopSignal stop) {
        return new TrainingJob(model, data, out, config, resume, false).run(listener, stop);
    }

    private static byte[] adapterBytes(Path out) throws IOException {
        return Files.readAllBytes(out.resolve(PeftAdapter.WEIGHTS_FILE));
    }

    @Test
    void lossFallsAndTheAdapterAndLogAreWritten() throws IOException {
        List<TrainingProgress> steps = new ArrayList<>();
        Path out = dir.resolve("out");
        TrainingConfig config = TinyTask.learningConfig().withEpochs(12).withWarmupSteps(2);
        TrainingResult result = train(config, out, false, new TrainingListener() {
            @Override
            public void onStep(TrainingProgress p) {
                steps.add(p);
            }
        }, null);

        assertThat(result.stopped()).isFalse();
        assertThat(result.steps()).isEqualTo(12);
        assertThat(steps).extracting(TrainingProgress::step).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
        assertThat(steps.get(0).learningRate()).isZero(); // linear warm-up starts at 0
        assertThat(steps.get(1).learningRate()).isEqualTo(5e-3);
        assertThat(steps.get(11).loss()).isLessThan(steps.get(0).loss() * 0.7);
        assertThat(steps.get(11).tokensPerSecond()).isPositive();

        PeftAdapter adapter = PeftAdapter.read(out);
        assertThat(adapter.config().r()).isEqualTo(16);
        assertThat(adapter.config().targetModules()).contains("q_proj", "down_proj");
        assertThat(adapter.modules()).hasSize(2 * 7).containsKey("model.layers.1.mlp.down_proj");

        JsonNode record = new ObjectMapper().readTree(out.resolve(LoraTrainer.CONFIG_FILE).toFile());
        assertThat(record.at("/config/rank").asInt()).isEqualTo(16);
        assertThat(record.at("/config/template").asText()).isEqualTo("RAW");
        assertThat(record.get("steps").asLong()).isEqualTo(12);
        assertThat(record.get("data_and_config_sha256").asText()).hasSize(64);

        List<String> log = Files.readAllLines(out.resolve(LoraTrainer.LOG_FILE));
        assertThat(log).hasSize(12);
        JsonNode last = new ObjectMapper().readTree(log.get(11));
        assertThat(last.get("step").asLong()).isEqualTo(12);
        assertThat(last.get("loss").asDouble()).isEqualTo(steps.get(11).loss());
        assertThat(last.get("tokens_per_s").asDouble()).isPositive();
    }

    @Test
    void theSameSeedGivesTheSameAdapterBytesAndAnotherSeedDoesNot() throws IOException {
        train(TinyTask.quickConfig(), dir.resolve("a"), false, null, null);
        train(TinyTask.quickConfig(), dir.resolve("b"), false, null, null);
        train(TinyTask.quickConfig().withSeed(43), dir.resolve("c"), false, null, null);

        assertThat(adapterBytes(dir.resolve("a"))).isEqualTo(adapterBytes(dir.resolve("b")));
        assertThat(adapterBytes(dir.resolve("a"))).isNotEqualTo(adapterBytes(dir.resolve("c")));
    }

    @Test
    void rsLoraTrainsWithAlphaOverSqrtRAndMatchesPlainLoraOfTheSameScale() throws IOException {
        // r 16: rsLoRA alpha 8 scales by 8 / 4 = 2, plain LoRA alpha 32 by 32 / 16 = 2; same scale, same run.
        train(TinyTask.quickConfig().withRank(16).withAlpha(8).withRsLora(true), dir.resolve("rs"), false, null, null);
        train(TinyTask.quickConfig().withRank(16).withAlpha(32), dir.resolve("plain"), false, null, null);
        train(TinyTask.quickConfig().withRank(16).withAlpha(32).withRsLora(true), dir.resolve("rs-larger"), false, null, null);

        PeftAdapter rs = PeftAdapter.read(dir.resolve("rs"));
        PeftAdapter plain = PeftAdapter.read(dir.resolve("plain"));
        assertThat(rs.config().rsLora()).isTrue();
        assertThat(rs.config().alpha()).isEqualTo(8);
        assertThat(rs.config().scale()).isEqualTo(plain.config().scale()).isEqualTo(2.0);
        assertThat(rs.modules().keySet()).isEqualTo(plain.modules().keySet());
        rs.modules().forEach((name, w) -> {
            assertThat(w.a()).as("A of %s", name).isEqualTo(plain.modules().get(name).a());
            assertThat(w.b()).as("B of %s", name).isEqualTo(plain.modules().get(name).b());
        });
        assertThat(adapterBytes(dir.resolve("rs-larger"))).as("scale 8 trains differently").isNotEqualTo(adapterBytes(dir.resolve("plain")));
    }

    @Test
    void gradientAccumulationEqualsOneLargeBatch() throws IOException {
        TrainingConfig big = TinyTask.quickConfig().withDropout(0).withBatchSize(4).withGradAccumulation(1);
        train(big, dir.resolve("big"), false, null, null);
        train(big.withBatchSize(2).withGradAccumulation(2), dir.resolve("accumulated"), false, null, null);

        PeftAdapter one = PeftAdapter.read(dir.resolve("big"));
        PeftAdapter two = PeftAdapter.read(dir.resolve("accumulated"));
        assertThat(two.modules().keySet()).isEqualTo(one.modules().keySet());
        double largest = 0;
        for (String module : one.modules().keySet()) {
            float[] b1 = one.modules().get(module).b();
            float[] b2 = two.modules().get(module).b();
            for (int i = 0; i < b1.length; i++) {
                largest = Math.max(largest, Math.abs(b1[i] - b2[i]));
            }
        }
        assertThat(largest).isLessThan(1e-5);
        float[] trained = one.modules().values().iterator().next().b();
        double size = 0;
        for (float f : trained) {
            size = Math.max(size, Math.abs(f));
        }
        assertThat(size).as("B moved away from its zero init").isGreaterThan(1e-3);
    }

    @Test
    void resumingAfterACrashEndsWithTheSameBytesAsAnUninterruptedRun() throws IOException {
        TrainingConfig config = TinyTask.quickConfig().withCheckpointEvery(2); // 2 steps per epoch, 6 in all
        TrainingResult whole = train(config, dir.resolve("whole"), false, null, null);
        assertThat(whole.steps()).isEqualTo(6);

        Path out = dir.resolve("crashed");
        assertThatThrownBy(() -> train(config, out, false, new TrainingListener() {
            @Override
            public void onStep(TrainingProgress p) {
                if (p.step() == 5) {
                    throw new IllegalStateException("simulated crash");
                }
            }
        }, null)).hasMessage("simulated crash");
        assertThat(Files.exists(out.resolve(PeftAdapter.WEIGHTS_FILE))).isFalse();
        assertThat(out.resolve("checkpoints/step-00000004/trainer_state.json")).exists();

        List<Long> resumedSteps = new ArrayList<>();
        TrainingResult resumed = train(config, out, true, new TrainingListener() {
            @Override
            public void onStep(TrainingProgress p) {
                resumedSteps.add(p.step());
            }
        }, null);

        assertThat(resumedSteps).containsExactly(5L, 6L);
        assertThat(resumed.stopped()).isFalse();
        assertThat(adapterBytes(out)).isEqualTo(adapterBytes(dir.resolve("whole")));
        assertThat(Files.readAllLines(out.resolve(LoraTrainer.LOG_FILE))).hasSize(6);
    }

    @Test
    void aStopRequestEndsBetweenStepsWithACheckpointThatResumes() throws IOException {
        TrainingConfig config = TinyTask.quickConfig();
        train(config, dir.resolve("whole"), false, null, null);

        Path out = dir.resolve("stopped");
        StopSignal stop = new StopSignal();
        TrainingResult stopped = train(config, out, false, new TrainingListener() {
            @Override
            public void onStep(TrainingProgress p) {
                if (p.step() == 3) {
                    stop.request();
                }
            }
        }, stop);
        assertThat(stopped.stopped()).isTrue();
        assertThat(stopped.steps()).isEqualTo(3);
        assertThat(stopped.adapterDir()).isNull();
        assertThat(stopped.checkpointDir()).isEqualTo(out.resolve("checkpoints/step-00000003"));

        train(config, out, true, null, null);
        assertThat(adapterBytes(out)).isEqualTo(adapterBytes(dir.resolve("whole")));
    }

    @Test
    void resumingWithDifferentHyperparametersIsRefused() {
        Path out = dir.resolve("out");
        StopSignal stop = new StopSignal();
        stop.request();
        train(TinyTask.quickConfig(), out, false, null, stop);
        assertThatThrownBy(() -> train(TinyTask.quickConfig().withLearningRate(5e-3), out, true, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("belongs to a different run");
    }

    @Test
    void aCheckpointOfAnotherBaseModelIsNotResumed() {
        Path out = dir.resolve("out");
        StopSignal stop = new StopSignal();
        stop.request();
        new TrainingJob(model, data, out, TinyTask.quickConfig(), false, false, "org/base").run(null, stop);
        assertThatThrownBy(() -> new TrainingJob(model, data, out, TinyTask.quickConfig(), true, false, "org/aligned").run(null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("belongs to a different run");
        new TrainingJob(model, data, out, TinyTask.quickConfig(), true, false, "org/base").run(null, null);
        assertThat(out.resolve(PeftAdapter.WEIGHTS_FILE)).exists();
    }

    @Test
    void aCheckpointOfAnotherPrecisionIsNotResumedAndEveryModelIsFreed() {
        int openBefore = CausalLm.openModels();
        Path out = dir.resolve("out");
        StopSignal stop = new StopSignal();
        stop.request();
        train(TinyTask.quickConfig(), out, false, null, stop); // an fp32 CPU checkpoint at step 0
        assertThat(CausalLm.openModels()).as("the job's model is closed").isEqualTo(openBefore);
        try (CausalLm bf16 = CausalLm.load(model, ComputeDevice.cpu().withPrecision(ComputeDevice.Precision.BF16))) {
            assertThatThrownBy(() -> new TrainingJob(model, data, out, TinyTask.quickConfig(), true, false).run(bf16, null, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("belongs to a different run");
        }
        assertThat(CausalLm.openModels()).isEqualTo(openBefore);
    }

    @Test
    void invalidTargetsAndEmptyDataAreClearErrors() throws IOException {
        assertThatThrownBy(() -> train(TinyTask.quickConfig().withTargetModules(List.of("nonexistent_proj")),
                dir.resolve("x"), false, null, null)).hasMessageContaining("nonexistent_proj");
        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "\n");
        assertThatThrownBy(() -> new TrainingJob(model, empty, dir.resolve("y"), TinyTask.quickConfig(), false, false)
                .run(null, null)).hasMessageContaining("holds no examples");
    }
}
