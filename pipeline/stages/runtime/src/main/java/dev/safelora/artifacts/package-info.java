/**
 * Artifact storage by URI: {@code file:///...} ({@link dev.safelora.artifacts.FileArtifactStore}, atomic
 * rename) and {@code s3://bucket/key} (module {@code safelora-artifacts-s3}, on the AWS SDK for Java v2, found
 * through {@link dev.safelora.artifacts.ArtifactStoreProvider}; {@link dev.safelora.artifacts.S3Location} is its
 * URI syntax). Pick the store with
 * {@link dev.safelora.artifacts.ArtifactStores#forUri}; build keys with
 * {@link dev.safelora.artifacts.ArtifactUris#child}.
 *
 * <pre>{@code
 * ArtifactStores stores = ArtifactStores.standard(System.getenv(), workDir.resolve("cache"));
 * URI adapterUri = ArtifactUris.child(URI.create("s3://safelora/artifacts"), "adapters/" + requestId + "/projected");
 * String sha256 = stores.forUri(adapterUri).put(localAdapterDir, adapterUri);   // idempotent, atomic
 * Path local = stores.forUri(adapterUri).open(adapterUri);                      // a local copy to read
 * }</pre>
 * This package imports neither Kafka nor the registry.
 */
package dev.safelora.artifacts;
