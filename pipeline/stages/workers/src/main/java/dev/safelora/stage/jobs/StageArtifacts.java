package dev.safelora.stage.jobs;

import dev.safelora.artifacts.ArtifactStore;
import dev.safelora.artifacts.ArtifactStores;
import dev.safelora.artifacts.ArtifactUriSyntax;
import dev.safelora.artifacts.ArtifactUris;
import dev.safelora.stage.BadInputException;
import dev.safelora.stage.StageConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The worker stages' view of the artifact stores: URIs from records are parsed and checked here (a bad or
 * missing one is bad input, not a crash), inputs are opened as local paths ({@code file://} in place,
 * {@code s3://} through the store's local cache), outputs are put atomically.
 *
 * <p>Confinement: records are not trusted to say where a stage writes or what it reads. Every output (an
 * {@code outputUri}, and every put) must lie under the artifacts root ({@code stage.artifacts.uri}); every input
 * must lie under the root or one of the allowed input roots ({@code stage.inputs.allowed}). "Under" is decided
 * by the store ({@link dev.safelora.artifacts.ArtifactStore#contains}): after symbolic links for files, by bucket
 * and key prefix for object stores. Anything else is bad input naming the field and the root, so the job is
 * dead-lettered instead of writing or deleting elsewhere.
 */
public final class StageArtifacts {

    private final ArtifactStores stores;
    private final URI root;
    private final List<URI> inputRoots;

    /** Outputs and inputs confined to {@code root}. */
    public StageArtifacts(ArtifactStores stores, URI root) {
        this(stores, root, List.of());
    }

    /** Outputs confined to {@code root}; inputs to {@code root} and {@code allowedInputs}. */
    public StageArtifacts(ArtifactStores stores, URI root, List<URI> allowedInputs) {
        this.stores = stores;
        this.root = ArtifactUriSyntax.check(root);
        List<URI> roots = new ArrayList<>();
        roots.add(this.root);
        for (URI allowed : allowedInputs) {
            roots.add(ArtifactUriSyntax.check(allowed));
        }
        this.inputRoots = List.copyOf(roots);
    }

    /** A worker stage's stores: the standard ones, caching under the work dir, writing under {@code artifacts.uri}. */
    public static StageArtifacts of(StageConfig config, WorkerSettings settings, Map<String, String> env) {
        return new StageArtifacts(ArtifactStores.standard(env, config.workDir().resolve("cache")), settings.artifactsRoot(),
                settings.inputsAllowed());
    }

    /** The root under which stages without an output URI of their own (the alignment stage) write. */
    public URI root() {
        return root;
    }

    /** The roots inputs may come from: the artifacts root first, then {@code stage.inputs.allowed}. */
    public List<URI> inputRoots() {
        return inputRoots;
    }

    /** A URI from a record; unparseable, relative, not strictly formed or of an unknown scheme is bad input naming {@code what}. */
    public URI parse(String text, String what) {
        if (text == null || text.isBlank()) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, what + " is empty");
        }
        URI uri;
        try {
            uri = ArtifactUriSyntax.parse(text);
            stores.forUri(uri);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, what + ": " + e.getMessage());
        }
        return uri;
    }

    /** An output location from a record: {@link #parse} and under the artifacts root, else bad input. */
    public URI output(String text, String what) throws IOException {
        URI uri = parse(text, what);
        requireOutput(uri, what);
        return uri;
    }

    /** An input location from a record: {@link #parse} and under an allowed input root, else bad input. */
    public URI input(String text, String what) throws IOException {
        URI uri = parse(text, what);
        requireInput(uri, what);
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

    /**
     * A local path holding the artifact at {@code uri}, which must be under an allowed input root (checked again
     * here, after symbolic links); a missing one is a {@link MissingArtifactException}.
     */
    public Path local(URI uri, String what) throws IOException {
        requireInput(uri, what);
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

    /**
     * Stores a local file or directory at {@code target} (atomic; identical content is a no-op); returns its sha256.
     * The target must be under the artifacts root where it is written (checked here, after symbolic links).
     */
    public String put(Path source, URI target) throws IOException {
        requireOutput(target, "output");
        return store(target).put(source, target);
    }

    public ArtifactStore store(URI uri) {
        return stores.forUri(uri);
    }

    private void requireOutput(URI uri, String what) {
        if (!under(root, uri, what)) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, what + " " + ArtifactUriSyntax.shown(uri)
                    + " is outside this stage's artifacts root " + root + " (stage.artifacts.uri); a stage writes only under it");
        }
    }

    private void requireInput(URI uri, String what) {
        for (URI allowed : inputRoots) {
            if (under(allowed, uri, what)) {
                return;
            }
        }
        throw new BadInputException(BadInputException.Cause.VALIDATION, what + " " + ArtifactUriSyntax.shown(uri)
                + " is not under an allowed input root " + inputRoots
                + " (stage.artifacts.uri and stage.inputs.allowed); a stage reads only from them");
    }

    private boolean under(URI allowed, URI uri, String what) {
        try {
            return allowed.getScheme().equalsIgnoreCase(uri.getScheme()) && store(uri).contains(allowed, uri);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, what + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, what + " " + ArtifactUriSyntax.shown(uri)
                    + ": cannot tell where it leads (" + e.getMessage() + ")", e);
        }
    }
}
