package dev.safelora.demo;

import java.net.URI;
import java.nio.file.Path;

/** The layout of a demo work directory, and file URIs in the form requests accept. */
record DemoPaths(Path root) {

    DemoPaths {
        root = root.toAbsolutePath().normalize();
    }

    Path cluster() {
        return root.resolve("cluster");
    }

    Path base() {
        return root.resolve("models/base");
    }

    Path aligned() {
        return root.resolve("models/aligned");
    }

    Path data() {
        return root.resolve("data");
    }

    Path artifacts() {
        return root.resolve("artifacts");
    }

    Path stages() {
        return root.resolve("stages");
    }

    Path stageWork(String stage) {
        return stages().resolve(stage);
    }

    /** Marks a directory the demo owns: only such a directory (or an empty one) is reused and partly cleared. */
    Path marker() {
        return root.resolve(".safelora-demo");
    }

    /** {@code file:///absolute/path} (no trailing slash), as request validation wants. */
    static String fileUri(Path path) {
        return "file://" + path.toAbsolutePath().normalize();
    }

    /** The local path of a {@code file:} URI, or empty for any other scheme. */
    static java.util.Optional<Path> localPath(String uri) {
        URI parsed = URI.create(uri);
        return "file".equals(parsed.getScheme()) ? java.util.Optional.of(Path.of(parsed)) : java.util.Optional.empty();
    }
}
