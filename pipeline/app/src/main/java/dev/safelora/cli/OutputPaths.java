package dev.safelora.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Where an output path really points, so that --out through a symbolic link cannot overwrite an input. */
final class OutputPaths {

    private OutputPaths() {}

    /** Whether {@code a} and {@code b} name the same place after resolving every symbolic link that exists. */
    static boolean sameLocation(Path a, Path b) {
        return real(a).equals(real(b));
    }

    /** The path with its longest existing prefix replaced by that prefix's real path (the rest as spelled). */
    static Path real(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(abs).toString());
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot resolve where it leads (" + e.getClass().getSimpleName() + ")", e);
        }
    }
}
