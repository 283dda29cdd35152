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

    /** The generated toy family (base, aligned, data), as {@code safelora toy-family --out} writes it. */
    Path family() {
        return root.resolve("family");
    }

    Path base() {
        return family().resolve("base");
    }

    Path aligned() {
        return family().resolve("aligned");
    }

    Path data() {
        return family().resolve("data");
    }

    /** A file of the family's data, e.g. {@code harmful-ft}. */
    Path data(String name) {
        return data().resolve(name + ".jsonl");
    }

    /** What the demo evaluates itself (the aligned model, over-refusal). */
    Path measurements() {
        return root.resolve("measurements");
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
