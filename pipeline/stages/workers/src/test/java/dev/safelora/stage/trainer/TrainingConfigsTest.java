package dev.safelora.stage.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.kafka.ClientSettings;
import dev.safelora.requests.RequestKind;
import dev.safelora.requests.RequestReader;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.stage.BadInputException;
import dev.safelora.stage.StageConfig;
import dev.safelora.stage.jobs.WorkerSettings;
import dev.safelora.training.TrainingConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainingConfigsTest {

    private static final WorkerSettings SETTINGS = WorkerSettings.from(
            StageConfig.of("trainer", ClientSettings.plaintext("localhost:9092", "http://localhost:8081"), Map.of("checkpoint.every", "7", "topics", "jobs")),
            Map.of());

    private static TrainingRequest request(String lora) {
        String json = """
                {"requestId": "r1", "family": "f", "datasetUri": "file:///data/train.jsonl",
                 "lora": %s,
                 "optimizer": {"learningRate": 0.001, "epochs": 2, "batchSize": 3, "gradientAccumulationSteps": 2,
                               "maxSequenceLength": 128, "warmupSteps": 5, "weightDecay": 0.01, "seed": 7},
                 "requestedBy": "test"}
                """.formatted(lora);
        return (TrainingRequest) new RequestReader().read(RequestKind.TRAINING, json, "test").value();
    }

    @Test
    void everyHyperparameterOfTheRequestReachesTheTrainerRsLoraIncluded() {
        TrainingConfig c = TrainingConfigs.from(request("{\"r\": 4, \"alpha\": 8, \"dropout\": 0.1, \"targetModules\": [\"q_proj\"], \"rsLora\": true}"),
                SETTINGS);
        assertThat(c.rank()).isEqualTo(4);
        assertThat(c.alpha()).isEqualTo(8);
        assertThat(c.rsLora()).isTrue();
        assertThat(c.dropout()).isEqualTo(0.1);
        assertThat(c.targetModules()).containsExactly("q_proj");
        assertThat(c.learningRate()).isEqualTo(0.001);
        assertThat(c.epochs()).isEqualTo(2);
        assertThat(c.batchSize()).isEqualTo(3);
        assertThat(c.gradAccumulation()).isEqualTo(2);
        assertThat(c.maxSeqLen()).isEqualTo(128);
        assertThat(c.warmupSteps()).isEqualTo(5);
        assertThat(c.weightDecay()).isEqualTo(0.01);
        assertThat(c.seed()).isEqualTo(7);
        assertThat(c.checkpointEvery()).isEqualTo(7);
        assertThat(TrainingConfigs.from(request("{\"r\": 4}"), SETTINGS).rsLora()).isFalse();
    }

    @Test
    void aRequestThatSetsNothingTrainsWithTheDefaultsOfTheTrainCommand() {
        String json = """
                {"requestId": "r2", "family": "f", "datasetUri": "file:///data/train.jsonl", "requestedBy": "test"}""";
        TrainingRequest minimal = (TrainingRequest) new RequestReader().read(RequestKind.TRAINING, json, "test").value();
        assertThat(TrainingConfigs.from(minimal, SETTINGS)).isEqualTo(TrainingConfig.defaults().withCheckpointEvery(7));
    }

    @Test
    void aConfigTheTrainerCannotRunIsBadInput() {
        TrainingRequest tooShort = request("{\"r\": 4}");
        tooShort.getOptimizer().setMaxSequenceLength(1); // past the request checks, as a record from another producer could be
        assertThatThrownBy(() -> TrainingConfigs.from(tooShort, SETTINGS))
                .isInstanceOf(BadInputException.class).hasMessageContaining("r1").hasMessageContaining("max sequence length");
    }

    @Test
    void hugeHyperparametersFromAnotherProducerAreAllReportedWithTheirFieldPaths() {
        TrainingRequest huge = request("{\"r\": 4}");
        huge.getLora().setR(2_000_000_000);
        huge.getOptimizer().setEpochs(Integer.MAX_VALUE);
        huge.getOptimizer().setMaxSequenceLength(Integer.MAX_VALUE);
        huge.getLora().setAlpha(1e308);
        assertThatThrownBy(() -> TrainingConfigs.from(huge, SETTINGS)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("(4 problems)")
                .hasMessageContaining("lora.r: must be at most 4096")
                .hasMessageContaining("lora.alpha: must be at most")
                .hasMessageContaining("optimizer.epochs: must be at most 1000")
                .hasMessageContaining("optimizer.maxSequenceLength: must be at most 131072");
    }

    @Test
    void theJobBudgetStopsAJobPlannedForTooManyStepsOrTrainingTooLong() {
        dev.safelora.training.StopSignal stop = new dev.safelora.training.StopSignal();
        JobBudget steps = new JobBudget(100, java.time.Duration.ofHours(1), stop);
        steps.onStart(100, 0);
        assertThat(stop.requested()).isFalse();
        steps.onStart(101, 0);
        assertThat(stop.requested()).isTrue();
        assertThat(steps.exceeded()).contains("plans 101 optimizer steps").contains("stage.job.max.steps");

        dev.safelora.training.StopSignal later = new dev.safelora.training.StopSignal();
        JobBudget time = new JobBudget(100, java.time.Duration.ofNanos(1), later);
        time.onStep(null);
        assertThat(later.requested()).isTrue();
        assertThat(time.exceeded()).contains("stage.job.max.duration");
    }

    @Test
    void theTrainerFineTunesTheBaseUnlessTheStageSaysAligned() {
        ClientSettings client = ClientSettings.plaintext("localhost:9092", "http://localhost:8081");
        assertThat(SETTINGS.trainFrom()).isEqualTo(WorkerSettings.TrainFrom.BASE);
        assertThat(WorkerSettings.from(StageConfig.of("trainer", client, Map.of("train.from", "aligned", "topics", "jobs")), Map.of())
                .trainFrom()).isEqualTo(WorkerSettings.TrainFrom.ALIGNED);
        assertThat(WorkerSettings.from(StageConfig.of("trainer", client, Map.of("train.from", "aligned", "topics", "jobs")),
                Map.of("SAFELORA_TRAIN_FROM", "base")).trainFrom()).isEqualTo(WorkerSettings.TrainFrom.BASE);
        assertThatThrownBy(() -> WorkerSettings.from(StageConfig.of("trainer", client, Map.of("train.from", "chat", "topics", "jobs")),
                Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stage.train.from must be base or aligned, got 'chat'");
    }

    @Test
    void lengthGroupingIsOffUnlessTheStageTurnsItOn() {
        ClientSettings client = ClientSettings.plaintext("localhost:9092", "http://localhost:8081");
        TrainingRequest minimal = request("{\"r\": 4}");
        assertThat(SETTINGS.groupByLength()).isFalse();
        assertThat(TrainingConfigs.from(minimal, SETTINGS).groupByLength()).isFalse();
        WorkerSettings grouped = WorkerSettings.from(StageConfig.of("trainer", client, Map.of("train.group.by.length", "true", "topics", "jobs")), Map.of());
        assertThat(TrainingConfigs.from(minimal, grouped).groupByLength()).isTrue();
        assertThat(WorkerSettings.from(StageConfig.of("trainer", client, Map.of("train.group.by.length", "true", "topics", "jobs")),
                Map.of("SAFELORA_TRAIN_GROUP_BY_LENGTH", "false")).groupByLength()).isFalse();
        assertThatThrownBy(() -> WorkerSettings.from(StageConfig.of("trainer", client, Map.of("train.group.by.length", "yes", "topics", "jobs")),
                Map.of())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stage.train.group.by.length");
    }
}
