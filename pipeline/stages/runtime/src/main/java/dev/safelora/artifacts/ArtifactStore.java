package dev.safelora.artifacts;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the pipeline keeps its artifacts (alignment, raw adapter, projected adapter, report), addressed
 * by URI. An artifact is a single file or a directory of files (a PEFT adapter directory).
 *
 * <p>Guarantees every implementation gives:
 * <ul>
 *   <li>{@link #put} is atomic: a reader sees the old artifact, nothing, or the whole new one, never a half
 *       written one, even if the writer crashes;</li>
 *   <li>{@link #put} of content identical to what is stored is a no-op, so replayed jobs are idempotent;</li>
 *   <li>{@link #sha256} is the same for the same content in every store (see {@link Digests}).</li>
 * </ul>
 * A missing artifact is a {@link java.nio.file.NoSuchFileException} naming the URI.
 */
public interface ArtifactStore {

    /** The URI scheme this store serves, e.g. {@code file} or {@code s3}. */
    String scheme();

    /**
     * Stores the local file or directory {@code source} as the artifact {@code target}, replacing what was
     * there. Returns the artifact's sha256 (see {@link Digests}).
     */
    String put(Path source, URI target) throws IOException;

    /** Copies the artifact to the local path {@code target} (replaced if present) and returns it. */
    Path get(URI source, Path target) throws IOException;

    /**
     * A local path to read the artifact from: the file itself for {@code file://}, a downloaded copy in the
     * store's cache directory for remote stores. The caller must not modify it.
     */
    Path open(URI source) throws IOException;

    boolean exists(URI uri) throws IOException;

    /**
     * The direct children of {@code prefix}, sorted: files as plain URIs, directories as URIs ending in
     * {@code /}. An absent prefix lists nothing.
     */
    List<URI> list(URI prefix) throws IOException;

    /** Deletes the artifact (recursively for a directory); false when there was nothing to delete. */
    boolean delete(URI uri) throws IOException;

    /** The sha256 of the stored artifact, lower-case hex (see {@link Digests} for directories). */
    String sha256(URI uri) throws IOException;

    /**
     * Whether {@code uri} is {@code root} itself or lies below it, where this store would actually read or
     * write it. Stages confine their outputs (and inputs) with it, so a record cannot move an artifact outside
     * the configured root. The default compares the URIs segment by segment after {@link ArtifactUriSyntax}
     * (scheme, bucket or host, key prefix), which is the whole answer for an object store; a store with its own
     * notion of location (symbolic links, aliases) overrides it. Both URIs failing the syntax is an
     * {@link IllegalArgumentException}.
     */
    default boolean contains(URI root, URI uri) throws IOException {
        return ArtifactUriSyntax.isUnder(root, uri);
    }
}
