package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stage}: its subcommands, and bad invocations or configurations as one-line errors before any client starts. */
class StageCommandTest {

    @TempDir
    Path dir;

    @Test
    void listsTheWorkerStagesAndNeedsOneOfThem() {
        CliRun help = CliRun.of("stage", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("alignment").contains("projector").contains("trainer");

        CliRun none = CliRun.of("stage");
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).contains("name a stage");
    }

    @Test
    void aMissingConfigFileIsOneLineAndExitOne() {
        CliRun run = CliRun.of("stage", "trainer", "--config", dir.resolve("nope.properties").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).startsWith("safelora: error:").contains("nope.properties").contains("no such file");
        assertThat(run.err().strip().lines()).hasSize(1);
    }

    @Test
    void badStageSettingsAreRejectedAtStart() throws Exception {
        Path template = Files.writeString(dir.resolve("t.properties"), "stage.template=shakespeare\nstage.metrics.port=0\n");
        CliRun badTemplate = CliRun.of("stage", "trainer", "--config", template.toString());
        assertThat(badTemplate.exitCode()).isEqualTo(1);
        assertThat(badTemplate.err()).contains("unknown template 'shakespeare'");

        Path root = Files.writeString(dir.resolve("r.properties"), "stage.artifacts.uri=relative/dir\nstage.metrics.port=0\n");
        CliRun badRoot = CliRun.of("stage", "alignment", "--config", root.toString());
        assertThat(badRoot.exitCode()).isEqualTo(1);
        assertThat(badRoot.err()).contains("stage.artifacts.uri").contains("needs a scheme");
    }
}
