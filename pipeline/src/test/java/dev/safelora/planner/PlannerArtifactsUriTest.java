package dev.safelora.planner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import dev.safelora.stage.StageConfig;
import dev.safelora.stage.jobs.WorkerSettings;
import org.junit.jupiter.api.Test;

/** The planner derives every job's outputUri from the artifacts root the worker stages use. */
class PlannerArtifactsUriTest {

    @Test
    void theEnvironmentSetsThePlannersArtifactsRootAsItSetsTheWorkers() {
        Map<String, String> env = Map.of("SAFELORA_ARTIFACTS_URI", "s3://models/safelora", "SAFELORA_WORK_DIR", "/var/lib/sl");
        StageConfig planner = StageConfig.load("planner", List.of("t"), null, env);
        StageConfig trainer = StageConfig.load("trainer", List.of("t"), null, env);

        assertThat(PlannerApp.artifactsUri(planner)).isEqualTo("s3://models/safelora");
        assertThat(WorkerSettings.from(trainer, env).artifactsRoot()).hasToString("s3://models/safelora");
    }

    @Test
    void withoutASettingBothUseTheWorkDirectory() {
        Map<String, String> env = Map.of("SAFELORA_WORK_DIR", "/var/lib/sl");
        StageConfig config = StageConfig.load("planner", List.of("t"), null, env);

        assertThat(PlannerApp.artifactsUri(config)).isEqualTo("file:///var/lib/sl/artifacts");
        assertThat(WorkerSettings.from(config, env).artifactsRoot()).hasToString("file:///var/lib/sl/artifacts");
    }
}
