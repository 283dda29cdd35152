package dev.safelora.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the checked files are: the repository root and the project version, as Maven passes them to the tests. */
final class Repository {

    private Repository() {
    }

    static Path root() {
        Path root = Path.of(System.getProperty("safelora.root", "..")).toAbsolutePath().normalize();
        if (!Files.isDirectory(root.resolve("k8s"))) {
            throw new IllegalStateException("no k8s/ under " + root + " (set -Dsafelora.root)");
        }
        return root;
    }

    /** The version the images carry: the project version without -SNAPSHOT. */
    static String imageTag() {
        return System.getProperty("safelora.version", "0.1.0-SNAPSHOT").replace("-SNAPSHOT", "");
    }
}
