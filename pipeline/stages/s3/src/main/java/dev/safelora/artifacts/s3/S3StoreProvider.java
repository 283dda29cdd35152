package dev.safelora.artifacts.s3;

import dev.safelora.artifacts.ArtifactStore;
import dev.safelora.artifacts.ArtifactStoreProvider;
import java.nio.file.Path;
import java.util.Map;

/** Registers the {@code s3} scheme with {@link dev.safelora.artifacts.ArtifactStores#standard} (ServiceLoader). */
public final class S3StoreProvider implements ArtifactStoreProvider {

    @Override
    public String scheme() {
        return "s3";
    }

    /** Configured from {@code env} by {@link S3Settings#fromEnv}. */
    @Override
    public ArtifactStore create(Map<String, String> env, Path cacheDir) {
        return new S3ArtifactStore(S3Settings.fromEnv(env), cacheDir);
    }
}
