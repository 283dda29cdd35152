package dev.safelora.it.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A stage as operators run it: its own JVM, {@code safelora stage <name> --config FILE}. For the trainer, being a
 * separate process is the point: {@link #kill()} is a SIGKILL mid-job (no shutdown hook, no checkpoint on the way
 * out, no LeaveGroup), which an in-process stage cannot imitate. The planner runs on the class path of its image,
 * {@code pipeline/app/target/lib-planner} (no libtorch, tokenizer, broker or worker stages), which proves that it
 * needs none of them.
 */
final class StageJvm implements AutoCloseable {

    /** The planner image's class path, as the app module's build leaves it. */
    static final Path APP_TARGET = Path.of("..", "pipeline", "app", "target");

    private final Process process;
    private final Path log;

    private StageJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** The trainer on the test's class path (everything). */
    static StageJvm trainer(Path config, Path log) {
        return start("trainer", testClasspath(), config, log);
    }

    /** The planner on its image's class path only. */
    static StageJvm planner(Path config, Path log) {
        return start("planner", plannerClasspath(), config, log);
    }

    static String plannerClasspath() {
        Path jar = APP_TARGET.resolve("safelora-app.jar");
        Path lib = APP_TARGET.resolve("lib-planner");
        if (!Files.isRegularFile(jar) || !Files.isDirectory(lib)) {
            throw new IllegalStateException(jar + " or " + lib + " is missing: package the app module first (./mvnw package)");
        }
        return jar.toAbsolutePath() + java.io.File.pathSeparator + lib.toAbsolutePath() + java.io.File.separator + "*";
    }

    private static StageJvm start(String stage, String classpath, Path config, Path log) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xmx768m", "-cp", classpath, "dev.safelora.cli.Main",
                "stage", stage, "--config", config.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("SAFELORA_"));
        env.put("OPENBLAS_NUM_THREADS", "1");
        env.put("OMP_NUM_THREADS", "1");
        try {
            Files.createDirectories(log.getParent());
            Process process = builder.start();
            // A test JVM that ends without closing the stages must not leave a stage polling a dead broker.
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, stage + "-jvm-reaper"));
            return new StageJvm(process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the " + stage + " JVM: " + e.getMessage(), e);
        }
    }

    /** Surefire runs tests from a manifest-only jar; the real entries are in {@code surefire.test.class.path}. */
    private static String testClasspath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /** The whole log so far (empty before the first line). */
    String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, then waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the stage JVM survived SIGKILL for 30 s");
        }
    }

    /** SIGTERM (the stage's graceful shutdown), falling back to SIGKILL after {@code seconds}. */
    void stop(long seconds) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            kill();
        }
    }

    /** The last lines the stage wrote, for failure messages. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no stage log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop(20);
        }
    }
}
