package dev.safelora.artifacts;

import java.nio.file.Path;
import java.util.Map;

/**
 * A store for one URI scheme that lives in its own module (the {@code s3} store and its SDK), found by
 * {@link ArtifactStores#standard} through {@link java.util.ServiceLoader}: a class path without the module
 * (the planner's) simply has no such scheme, and nothing here imports the SDK.
 */
public interface ArtifactStoreProvider {

    /** The URI scheme served, lower case, e.g. {@code s3}. */
    String scheme();

    /**
     * Creates the store; called on the first URI of this scheme, so a deployment that never uses it needs none
     * of its configuration.
     *
     * @param env      configuration (the process environment in production)
     * @param cacheDir a directory of this store's own for local copies of remote artifacts
     */
    ArtifactStore create(Map<String, String> env, Path cacheDir);
}
