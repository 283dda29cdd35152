package dev.safelora.artifacts;

import java.net.URI;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Picks the {@link ArtifactStore} for a URI by its scheme. Stores are created on first use, so an
 * s3-less deployment never needs AWS credentials. Stores of other modules (the {@code s3} store in
 * {@code safelora-artifacts-s3}) register themselves as an {@link ArtifactStoreProvider}.
 */
public final class ArtifactStores {

    private final Map<String, Supplier<ArtifactStore>> factories = new TreeMap<>();
    private final Map<String, ArtifactStore> created = new TreeMap<>();

    /**
     * {@code file} always, plus every {@link ArtifactStoreProvider} on the class path (the {@code s3} store where
     * {@code safelora-artifacts-s3} is), configured from {@code env} and caching under {@code cacheDir/<scheme>}.
     */
    public static ArtifactStores standard(Map<String, String> env, Path cacheDir) {
        ArtifactStores stores = new ArtifactStores().register("file", FileArtifactStore::new);
        for (ArtifactStoreProvider provider : ServiceLoader.load(ArtifactStoreProvider.class, ArtifactStores.class.getClassLoader())) {
            String scheme = provider.scheme().toLowerCase(Locale.ROOT);
            stores.register(scheme, () -> provider.create(env, cacheDir.resolve(scheme)));
        }
        return stores;
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
