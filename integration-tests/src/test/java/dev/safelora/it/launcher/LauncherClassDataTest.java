package dev.safelora.it.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    @TempDir
    Path work;

    @Test
    void theLauncherTakesTheCommandLinesClassesFromTheArchive() throws Exception {
        assertThat(APP_TARGET.resolve("safelora.jsa")).isRegularFile();

        Run run = launch(ROOT, "-Xlog:class+load", "--version");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("dev.safelora.cli.Main source: shared objects file (top)")
                .contains("com.fasterxml.jackson.databind.ObjectMapper source: shared objects file (top)");
    }

    @Test
    void anArchiveMadeForOtherJarsIsIgnoredSilently() throws Exception {
        // the same files at another path, the application jar copied (a new path and time): the archive no longer fits
        Path copy = Files.createDirectories(work.resolve("copy"));
        Path target = Files.createDirectories(copy.resolve("pipeline/app/target"));
        Files.copy(ROOT.resolve("safelora"), copy.resolve("safelora"));
        Files.copy(APP_TARGET.resolve("safelora-app.jar"), target.resolve("safelora-app.jar"));
        Files.copy(APP_TARGET.resolve("safelora.jsa"), target.resolve("safelora.jsa"));
        Files.createSymbolicLink(target.resolve("lib"), APP_TARGET.resolve("lib"));

        Run original = launch(ROOT, "", "--version");
        Run moved = launch(copy, "", "--version");
        Run logged = launch(copy, "-Xlog:class+load", "--version");

        assertThat(original.exitCode()).isZero();
        assertThat(original.out()).matches("safelora \\S+\n");
        assertThat(moved.exitCode()).isZero();
        assertThat(moved.out()).isEqualTo(original.out());
        assertThat(moved.err()).isEmpty();
        assertThat(logged.out()).contains("dev.safelora.cli.Main source: file:").doesNotContain("shared objects file (top)");
    }

    private record Run(int exitCode, String out, String err) {
    }

    /** The launcher under {@code root}, with the JVM that runs the build first on the path (the one that made the archive). */
    private Run launch(Path root, String javaOptions, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("safelora").toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = builder.environment();
        env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + java.io.File.pathSeparator + env.getOrDefault("PATH", ""));
        env.put("SAFELORA_JAVA_OPTS", javaOptions);
        // each makes the JVM print a "Picked up" notice
        env.remove("JAVA_TOOL_OPTIONS");
        env.remove("JDK_JAVA_OPTIONS");
        env.remove("_JAVA_OPTIONS");
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("./safelora " + String.join(" ", args) + " did not end within 60 s");
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
