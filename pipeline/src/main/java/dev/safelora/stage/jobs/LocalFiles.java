package dev.safelora.stage.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Clean-up of the stages' local scratch directories (their artifacts already live in the store). */
public final class LocalFiles {

    private static final Logger LOG = LoggerFactory.getLogger(LocalFiles.class);

    private LocalFiles() {
    }

    /** Deletes {@code dir} and everything under it; a failure is logged, never thrown (it is only scratch). */
    public static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot delete {}: {}", dir, e.toString());
        }
    }
}
