package dev.safelora.it.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The trainer stage as operators run it: its own JVM, {@code safelora stage trainer --config FILE}, on the
 * test's classpath. Being a separate process is the point: {@link #kill()} is a SIGKILL mid-job (no shutdown
 * hook, no checkpoint on the way out, no LeaveGroup), which an in-process stage cannot imitate.
 */
final class TrainerJvm implements AutoCloseable {

    private final Process process;
    private final Path log;

    private TrainerJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static TrainerJvm start(Path config, Path log) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xmx768m", "-cp", classpath(), "dev.safelora.cli.Main",
                "stage", "trainer", "--config", config.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("SAFELORA_"));
        env.put("OPENBLAS_NUM_THREADS", "1");
        env.put("OMP_NUM_THREADS", "1");
        try {
            Files.createDirectories(log.getParent());
            Process process = builder.start();
            // A test JVM that ends without closing the stages must not leave a trainer polling a dead broker.
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "trainer-jvm-reaper"));
            return new TrainerJvm(process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the trainer JVM: " + e.getMessage(), e);
        }
    }

    /** Surefire runs tests from a manifest-only jar; the real entries are in {@code surefire.test.class.path}. */
    private static String classpath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, then waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the trainer JVM survived SIGKILL for 30 s");
        }
    }

    /** SIGTERM (the stage's graceful shutdown), falling back to SIGKILL after {@code seconds}. */
    void stop(long seconds) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            kill();
        }
    }

    /** The last lines the trainer wrote, for failure messages. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no trainer log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop(20);
        }
    }
}
