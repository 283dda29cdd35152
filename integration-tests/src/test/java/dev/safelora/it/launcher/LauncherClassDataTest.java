package dev.safelora.it.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./safelora} maps the class data archive the build made (pipeline/app/pom.xml), and runs without a word about
 * it where the archive does not fit its class path.
 */
class LauncherClassDataTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path APP_TARGET = ROOT.resolve("pipeline/app/target");

    @Test
    void theLauncherTakesTheCommandLinesClassesFromTheArchive() throws Exception {
        assertThat(APP_TARGET.resolve("safelora.jsa")).isRegularFile();

        Run run = launch(ROOT, "-Xlog:class+load", "--version");

        assertThat(run.exitCode()).isZero();
        assertThat(run.output()).contains("safelora 0.1.0-SNAPSHOT")
                .contains("dev.safelora.cli.Main source: shared objects file (top)")
                .contains("com.fasterxml.jackson.databind.ObjectMapper source: shared objects file (top)");
    }

    @Test
    void anArchiveMadeForOtherJarsIsIgnoredSilently(@TempDir Path copy) throws Exception {
        // the same files at another path, the application jar copied (a new path and time): the archive no longer fits
        Path target = Files.createDirectories(copy.resolve("pipeline/app/target"));
        Files.copy(ROOT.resolve("safelora"), copy.resolve("safelora"));
        Files.copy(APP_TARGET.resolve("safelora-app.jar"), target.resolve("safelora-app.jar"));
        Files.copy(APP_TARGET.resolve("safelora.jsa"), target.resolve("safelora.jsa"));
        Files.createSymbolicLink(target.resolve("lib"), APP_TARGET.resolve("lib"));

        Run plain = launch(copy, "", "--version");
        Run logged = launch(copy, "-Xlog:class+load", "--version");

        assertThat(plain.exitCode()).isZero();
        assertThat(plain.output()).isEqualTo("safelora 0.1.0-SNAPSHOT\n");
        assertThat(logged.output()).contains("dev.safelora.cli.Main source: file:").doesNotContain("shared objects file (top)");
    }

    private record Run(int exitCode, String output) {
    }

    private static Run launch(Path root, String javaOptions, String... args) throws IOException, InterruptedException {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("bash", root.resolve("safelora").toString()));
        command.addAll(java.util.List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("SAFELORA_JAVA_OPTS", javaOptions);
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
