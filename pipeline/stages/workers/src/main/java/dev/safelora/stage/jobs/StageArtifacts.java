package dev.safelora.stage.jobs;

import dev.safelora.artifacts.ArtifactStore;
import dev.safelora.artifacts.ArtifactStores;
import dev.safelora.artifacts.ArtifactUris;
import dev.safelora.stage.BadInputException;
import dev.safelora.stage.StageConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The worker stages' view of the artifact stores: URIs from records are parsed and checked here (a bad or
 * missing one is bad input, not a crash), inputs are opened as local paths ({@code file://} in place,
 * {@code s3://} through the store's local cache), outputs are put atomically.
 */
public final class StageArtifacts {

    private final ArtifactStores stores;
    private final URI root;

    public StageArtifacts(ArtifactStores stores, URI root) {
        this.stores = stores;
        this.root = root;
    }

    /** A worker stage's stores: the standard ones, caching under the work dir, writing under {@code artifacts.uri}. */
    public static StageArtifacts of(StageConfig config, WorkerSettings settings, Map<String, String> env) {
        return new StageArtifacts(ArtifactStores.standard(env, config.workDir().resolve("cache")), settings.artifactsRoot());
    }

    /** The root under which stages without an output URI of their own (the alignment stage) write. */
    public URI root() {
        return root;
    }

    /** A URI from a record; unparseable, relative or of an unknown scheme is bad input naming {@code what}. */
    public URI parse(String text, String what) {
        if (text == null || text.isBlank()) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, what + " is empty");
        }
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, what + " '" + text + "' is not a URI: " + e.getMessage());
        }
        try {
            stores.forUri(uri);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, what + ": " + e.getMessage());
        }
        return uri;
    }

    /** {@code prefix/key}; a key that is not a safe path (from a hostile id) is bad input. */
    public URI child(URI prefix, String key) {
        try {
            return ArtifactUris.child(prefix, key);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, e.getMessage());
        }
    }

    /** A local path holding the artifact at {@code uri}; a missing one is a {@link MissingArtifactException}. */
    public Path local(URI uri, String what) throws IOException {
        try {
            return store(uri).open(uri);
        } catch (NoSuchFileException e) {
            throw new MissingArtifactException(what + " " + uri + " does not exist", e);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, what + " " + uri + ": " + e.getMessage(), e);
        }
    }

    public boolean exists(URI uri) throws IOException {
        return store(uri).exists(uri);
    }

    /** Stores a local file or directory at {@code target} (atomic; identical content is a no-op); returns its sha256. */
    public String put(Path source, URI target) throws IOException {
        return store(target).put(source, target);
    }

    public ArtifactStore store(URI uri) {
        return stores.forUri(uri);
    }
}
