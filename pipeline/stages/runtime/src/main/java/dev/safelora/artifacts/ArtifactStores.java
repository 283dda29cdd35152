package dev.safelora.artifacts;

import java.net.URI;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Picks the {@link ArtifactStore} for a URI by its scheme. Stores are created on first use, so an
 * s3-less deployment never needs AWS credentials.
 */
public final class ArtifactStores {

    private final Map<String, Supplier<ArtifactStore>> factories = new TreeMap<>();
    private final Map<String, ArtifactStore> created = new TreeMap<>();

    /** {@code file} always; {@code s3} configured from {@code env} (see {@link S3Settings#fromEnv}). */
    public static ArtifactStores standard(Map<String, String> env, Path cacheDir) {
        return new ArtifactStores()
                .register("file", FileArtifactStore::new)
                .register("s3", () -> new S3ArtifactStore(new S3Client(S3Settings.fromEnv(env)), cacheDir.resolve("s3")));
    }

    public ArtifactStores register(String scheme, Supplier<ArtifactStore> factory) {
        factories.put(scheme.toLowerCase(Locale.ROOT), factory);
        return this;
    }

    public Collection<String> schemes() {
        return factories.keySet();
    }

    /** The store for {@code uri}; an unknown or missing scheme is an {@link IllegalArgumentException} saying so. */
    public synchronized ArtifactStore forUri(URI uri) {
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw new IllegalArgumentException("artifact URI '" + uri + "' has no scheme; use one of "
                    + String.join(", ", schemes()) + " (e.g. file:///var/lib/safelora/artifacts/x)");
        }
        String key = scheme.toLowerCase(Locale.ROOT);
        Supplier<ArtifactStore> factory = factories.get(key);
        if (factory == null) {
            throw new IllegalArgumentException("no artifact store for scheme '" + scheme + "' in '" + uri
                    + "'; supported: " + String.join(", ", schemes()));
        }
        return created.computeIfAbsent(key, k -> factory.get());
    }
}
