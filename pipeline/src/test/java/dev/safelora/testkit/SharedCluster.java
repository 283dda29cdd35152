package dev.safelora.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import dev.safelora.cluster.EmbeddedCluster;

/**
 * One {@link EmbeddedCluster} (broker, registry on {@code _schemas}, every pipeline topic with
 * one partition) for all tests of a JVM: starting one takes seconds. Tests on it use their own
 * group ids, and their own topic and subject names when they need isolation. Stopped by a
 * shutdown hook when the test JVM ends.
 */
public final class SharedCluster {

    private static EmbeddedCluster cluster;

    private SharedCluster() {
    }

    public static synchronized EmbeddedCluster get() {
        if (cluster == null) {
            Path dir;
            try {
                dir = Files.createTempDirectory("safelora-test-cluster");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            cluster = EmbeddedCluster.start(EmbeddedCluster.Settings.of(dir));
            EmbeddedCluster started = cluster;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                started.close();
                deleteRecursively(dir);
            }, "shared-test-cluster-stop"));
        }
        return cluster;
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
