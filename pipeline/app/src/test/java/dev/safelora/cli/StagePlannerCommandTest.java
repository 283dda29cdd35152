package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code safelora stage planner}: help, and configuration errors as one line with exit 1 (the run itself: PlannerAppTest). */
class StagePlannerCommandTest {

    @TempDir
    Path dir;

    @Test
    void stageGroupListsThePlannerAndThePlannerExplainsItself() {
        CliRun group = CliRun.of("stage", "--help");
        assertThat(group.exitCode()).isZero();
        assertThat(group.out()).contains("planner");

        CliRun help = CliRun.of("stage", "planner", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--config").contains("exactly-once").contains("stage.artifacts.uri");
    }

    @Test
    void aMissingConfigFileIsOneLineAndExit1() {
        CliRun run = CliRun.of("stage", "planner", "--config", dir.resolve("nope.properties").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("safelora: error: ").contains("nope.properties");
        assertThat(run.err().strip().lines()).hasSize(1);
    }

    @Test
    void aBadStageSettingIsOneLineAndExit1() throws Exception {
        Path config = Files.writeString(dir.resolve("planner.properties"),
                "bootstrap.servers=localhost:1\nstage.metrics.port=lots\n");
        CliRun run = CliRun.of("stage", "planner", "--config", config.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("safelora: error: stage.metrics.port must be a whole number, got 'lots'\n");
    }

    @Test
    void anUnknownStageIsAUsageError() {
        CliRun run = CliRun.of("stage", "no-such-stage");
        assertThat(run.exitCode()).isEqualTo(2);
    }
}
