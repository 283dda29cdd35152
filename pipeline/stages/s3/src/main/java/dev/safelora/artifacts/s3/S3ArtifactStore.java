package dev.safelora.artifacts.s3;

import dev.safelora.artifacts.ArtifactStore;
import dev.safelora.artifacts.S3Location;
import dev.safelora.files.Digests;
import dev.safelora.files.FileTrees;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.FileTransformerConfiguration;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.multipart.MultipartConfiguration;

/**
 * Artifacts in S3 or an S3-compatible store, {@code s3://bucket/key}, on the AWS SDK for Java v2 (async client
 * with the SDK's multipart support, its standard retry strategy and default credentials chain).
 *
 * <p>A file artifact is one object carrying its sha256 as user metadata ({@code x-amz-meta-sha256}) and, where
 * the store supports it, S3's own SHA-256 checksum, which S3 verifies on upload and the SDK on download. A
 * single PUT is atomic, and so is a multipart upload (the object appears on completion; a failed one is
 * aborted by the SDK). A directory artifact is one object per file under {@code key/} plus a manifest object
 * {@code key/}{@value #MANIFEST} written LAST: a directory exists only once its manifest does, so a crash
 * mid-upload leaves no artifact, and a reader downloads exactly the files the manifest lists and checks each
 * digest.
 *
 * <p>Nothing the store answers becomes a local path unchecked: {@link #open}'s cache entry is named by a hash
 * of bucket, key, ETag and version that this class computes, digests must be 64 lower-case hex digits, and
 * manifest paths are relative paths without dot segments.
 */
public final class S3ArtifactStore implements ArtifactStore, AutoCloseable {

    static final String MANIFEST = ".safelora-manifest";
    private static final String SHA_META = "sha256";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final long MAX_MANIFEST_BYTES = 16L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(S3ArtifactStore.class);

    private final S3AsyncClient client;
    private final S3Settings settings;
    private final S3Traffic traffic;
    private final Path cacheDir;

    /** @param cacheDir where {@link #open} keeps downloaded copies */
    public S3ArtifactStore(S3Settings settings, Path cacheDir) {
        this.settings = settings;
        this.traffic = new S3Traffic();
        this.client = client(settings, traffic);
        this.cacheDir = cacheDir.toAbsolutePath().normalize();
    }

    private static S3AsyncClient client(S3Settings s, S3Traffic traffic) {
        BackoffStrategy backoff = BackoffStrategy.exponentialDelay(s.retryBaseDelay(), s.retryBaseDelay().multipliedBy(200));
        S3AsyncClientBuilder b = S3AsyncClient.builder()
                .region(Region.of(s.region()))
                .credentialsProvider(s.credentials())
                .forcePathStyle(s.pathStyle())
                // Checksums the SDK would compute itself go in an aws-chunked trailer, which S3-compatible stores
                // support unevenly (S3Proxy refuses it); the store sends its own SHA-256 as a header instead.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .multipartEnabled(true)
                .multipartConfiguration(MultipartConfiguration.builder()
                        .thresholdInBytes(s.partSize()).minimumPartSizeInBytes(s.partSize()).build())
                .overrideConfiguration(o -> o
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                .maxAttempts(s.maxAttempts()).backoffStrategy(backoff).throttlingBackoffStrategy(backoff).build())
                        .apiCallTimeout(s.callTimeout())
                        .addExecutionInterceptor(traffic));
        s.endpoint().ifPresent(b::endpointOverride);
        return b.build();
    }

    @Override
    public String scheme() {
        return "s3";
    }

    public S3Settings settings() {
        return settings;
    }

    /** The calls made and HTTP attempts sent so far; {@code retries()} is how often the SDK retried. */
    public S3Traffic.Counts traffic() {
        return traffic.counts();
    }

    @Override
    public void close() {
        client.close();
    }

    /**
     * Whether {@code uri} is {@code root} or below it: the same bucket and the root's key a whole-segment prefix
     * of its key, both URIs strictly formed ({@link S3Location}). The s3 side of confining a stage's outputs.
     */
    @Override
    public boolean contains(URI root, URI uri) {
        return S3Location.parse(root).contains(S3Location.parse(uri));
    }

    private static S3Location artifact(URI uri) {
        S3Location loc = S3Location.parse(uri);
        if (loc.key().isEmpty()) {
            throw new IllegalArgumentException("an S3 artifact URI needs a key after the bucket, got: " + S3Location.shown(uri));
        }
        return loc;
    }

    private static S3Location manifestOf(S3Location loc) {
        return new S3Location(loc.bucket(), loc.key() + "/" + MANIFEST);
    }

    // ---- put ---------------------------------------------------------------------------------------------

    @Override
    public String put(Path source, URI target) throws IOException {
        if (!Files.exists(source)) {
            throw new NoSuchFileException(source.toString(), null, "nothing to store");
        }
        S3Location loc = artifact(target);
        return Files.isDirectory(source) ? putDirectory(source, loc) : putFile(source, loc);
    }

    private String putFile(Path source, S3Location loc) throws IOException {
        String sha = Digests.fileSha256(source);
        Optional<HeadObjectResponse> head = head(loc);
        if (head.isPresent() && sha.equals(head.get().metadata().get(SHA_META))) {
            return sha;
        }
        Optional<HeadObjectResponse> manifest = head(manifestOf(loc));
        if (manifest.isPresent()) {
            deleteDirectory(loc);
        }
        upload(source, loc, sha);
        return sha;
    }

    private void upload(Path file, S3Location loc, String sha) throws IOException {
        PutObjectRequest.Builder req = PutObjectRequest.builder().bucket(loc.bucket()).key(loc.key()).metadata(Map.of(SHA_META, sha));
        if (Files.size(file) <= settings.partSize()) {
            // One PUT: S3 checks the body against this SHA-256 (sent as a header) and keeps it as the object's
            // full-object checksum. A multipart upload (the SDK's, aborted on failure) carries no checksum of ours:
            // its parts are signed, and the whole is checked against the sha256 metadata on every download.
            req.checksumSHA256(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha)));
        }
        call("PutObject", loc, () -> client.putObject(req.build(), AsyncRequestBody.fromFile(file)));
    }

    private String putDirectory(Path source, S3Location loc) throws IOException {
        SortedMap<String, String> files = Digests.fileDigests(source);
        String manifest = Digests.manifest(files);
        String digest = Digests.sha256Hex(manifest);
        Optional<SortedMap<String, String>> old = head(manifestOf(loc)).isPresent() ? readManifest(loc, null) : Optional.empty();
        if (old.isPresent() && Digests.sha256Hex(Digests.manifest(old.get())).equals(digest)) {
            return digest;
        }
        // The old manifest goes first: from here until the new one lands the directory does not exist.
        if (old.isPresent()) {
            deleteObject(manifestOf(loc));
        }
        if (head(loc).isPresent()) {
            deleteObject(loc);
        }
        for (Map.Entry<String, String> f : files.entrySet()) {
            if (old.isPresent() && f.getValue().equals(old.get().get(f.getKey()))) {
                continue;
            }
            upload(source.resolve(f.getKey()), child(loc, f.getKey()), f.getValue());
        }
        for (String stale : listKeys(loc.bucket(), loc.key() + "/", null).keys()) {
            String rel = stale.substring(loc.key().length() + 1);
            if (!files.containsKey(rel) && !rel.equals(MANIFEST)) {
                call("DeleteObject", loc, () -> client.deleteObject(d -> d.bucket(loc.bucket()).key(stale)));
            }
        }
        byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
        S3Location m = manifestOf(loc);
        call("PutObject", m, () -> client.putObject(p -> p.bucket(m.bucket()).key(m.key())
                .checksumSHA256(Base64.getEncoder().encodeToString(Digests.sha256().digest(bytes))), AsyncRequestBody.fromBytes(bytes)));
        return digest;
    }

    private static S3Location child(S3Location dir, String relative) {
        return new S3Location(dir.bucket(), dir.key() + "/" + relative);
    }

    // ---- get / open --------------------------------------------------------------------------------------

    /** What {@link #find} saw: the manifest's HEAD for a directory, the object's for a file. */
    private record Found(S3Location loc, HeadObjectResponse head, boolean directory) {}

    private Found find(S3Location loc, URI uri) throws IOException {
        Optional<HeadObjectResponse> manifest = head(manifestOf(loc));
        if (manifest.isPresent()) {
            return new Found(loc, manifest.get(), true);
        }
        Optional<HeadObjectResponse> file = head(loc);
        if (file.isEmpty()) {
            throw new NoSuchFileException(uri.toString(), null, "no artifact at " + uri);
        }
        return new Found(loc, file.get(), false);
    }

    @Override
    public Path get(URI source, Path target) throws IOException {
        S3Location loc = artifact(source);
        fetch(find(loc, source), target);
        return target;
    }

    /** Downloads what {@code found} saw into {@code target} (replaced), verified, through a temporary sibling. */
    private void fetch(Found found, Path target) throws IOException {
        Path dest = target.toAbsolutePath();
        Files.createDirectories(dest.getParent());
        Path tmp = dest.resolveSibling(".safelora-tmp-" + dest.getFileName() + "-" + UUID.randomUUID());
        try {
            if (found.directory()) {
                SortedMap<String, String> manifest = readManifest(found.loc(), found.head().eTag()).orElseThrow(() ->
                        new NoSuchFileException(found.loc().toUri().toString(), null, "the artifact's manifest went away"));
                Files.createDirectories(tmp);
                for (Map.Entry<String, String> f : manifest.entrySet()) {
                    Path local = tmp.resolve(f.getKey()).normalize();
                    if (!local.startsWith(tmp) || local.equals(tmp)) {
                        throw new IOException("manifest of " + found.loc().toUri() + " names a path outside the artifact");
                    }
                    Files.createDirectories(local.getParent());
                    download(child(found.loc(), f.getKey()), null, local, f.getValue());
                }
            } else {
                download(found.loc(), found.head().eTag(), tmp, expectedSha(found.loc(), found.head()).orElse(null));
            }
            if (Files.isDirectory(dest)) {
                FileTrees.delete(dest);
            }
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            FileTrees.delete(tmp);
        }
    }

    /**
     * Downloads one object; with {@code etag}, only that version of it (a changed object is a failed precondition,
     * not a silent mix). {@code expectedSha}, when known, must match what arrived.
     */
    private void download(S3Location loc, String etag, Path local, String expectedSha) throws IOException {
        GetObjectRequest.Builder req = GetObjectRequest.builder().bucket(loc.bucket()).key(loc.key()).checksumMode(ChecksumMode.ENABLED);
        if (etag != null) {
            req.ifMatch(etag);
        }
        call("GetObject", loc, () -> client.getObject(req.build(),
                AsyncResponseTransformer.toFile(local, FileTransformerConfiguration.defaultCreateOrReplaceExisting())));
        if (expectedSha != null) {
            String actual = Digests.fileSha256(local);
            if (!actual.equals(expectedSha)) {
                throw new IOException(loc.toUri() + " has sha256 " + actual + ", expected " + expectedSha);
            }
        }
    }

    /**
     * The sha256 the object should have: its {@code x-amz-meta-sha256}, which must be 64 lower-case hex digits,
     * else S3's full-object SHA-256 checksum where the store keeps one; both present must agree.
     */
    private static Optional<String> expectedSha(S3Location loc, HeadObjectResponse head) throws IOException {
        String meta = head.metadata().get(SHA_META);
        if (meta != null && !HEX64.matcher(meta).matches()) {
            throw new IOException(loc.toUri() + ": its sha256 metadata is not 64 lower-case hex digits; refusing the object");
        }
        Optional<String> s3 = s3Sha256(head);
        if (meta != null && s3.isPresent() && !meta.equals(s3.get())) {
            throw new IOException(loc.toUri() + ": its sha256 metadata and S3's SHA-256 checksum disagree; refusing the object");
        }
        return meta != null ? Optional.of(meta) : s3;
    }

    /** S3's SHA-256 of the whole object, when it has one (not for a multipart upload, whose checksum is composite). */
    private static Optional<String> s3Sha256(HeadObjectResponse head) {
        String b64 = head.checksumSHA256();
        if (b64 == null || b64.contains("-") || head.checksumType() == ChecksumType.COMPOSITE) {
            return Optional.empty();
        }
        try {
            byte[] raw = Base64.getDecoder().decode(b64);
            return raw.length == 32 ? Optional.of(HexFormat.of().formatHex(raw)) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * A local copy under the cache directory, at {@code <cache>/<key>/<name>}: {@code key} is the sha256 of
     * bucket, object key, ETag and version id as HEAD reported them (the manifest's, for a directory), computed
     * here, so nothing the store answers becomes part of a path. The download is pinned to that ETag.
     */
    @Override
    public Path open(URI source) throws IOException {
        S3Location loc = artifact(source);
        Found found = find(loc, source);
        S3Location keyed = found.directory() ? manifestOf(loc) : loc;
        String cacheKey = cacheKey(keyed, found.head());
        Path cached = cacheDir.resolve(cacheKey).resolve(loc.name()).normalize();
        if (!cached.startsWith(cacheDir.resolve(cacheKey)) || cached.getParent().equals(cacheDir)) {
            throw new IOException(source + ": its name does not make a cache path");
        }
        if (!Files.exists(cached)) {
            fetch(found, cached);
        }
        return cached;
    }

    /** The cache entry's name for this version of this object: sha256 of "s3\nbucket\nkey\netag\nversionId". */
    static String cacheKey(S3Location loc, HeadObjectResponse head) {
        return Digests.sha256Hex(String.join("\n", "s3", loc.bucket(), loc.key(), String.valueOf(head.eTag()),
                head.versionId() == null ? "" : head.versionId()));
    }

    // ---- exists / list / delete / sha256 -----------------------------------------------------------------

    @Override
    public boolean exists(URI uri) throws IOException {
        S3Location loc = artifact(uri);
        return head(loc).isPresent() || head(manifestOf(loc)).isPresent();
    }

    @Override
    public List<URI> list(URI prefix) throws IOException {
        S3Location loc = S3Location.parse(prefix);
        String p = loc.key().isEmpty() ? "" : loc.key() + "/";
        Listing listing = listKeys(loc.bucket(), p, "/");
        List<URI> out = new ArrayList<>();
        for (String key : listing.keys()) {
            String name = key.substring(p.length());
            if (!name.isEmpty() && !name.startsWith(".safelora-")) {
                uriOf(loc.bucket(), key, false).ifPresent(out::add);
            }
        }
        for (String dir : listing.prefixes()) {
            uriOf(loc.bucket(), dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir, true).ifPresent(out::add);
        }
        out.sort(Comparator.comparing(URI::toString));
        return out;
    }

    /** A listed key as a URI; a key our URIs cannot name (empty or dot segments) is left out with a warning. */
    private static Optional<URI> uriOf(String bucket, String key, boolean prefix) {
        try {
            S3Location l = new S3Location(bucket, key);
            return Optional.of(prefix ? l.toPrefixUri() : l.toUri());
        } catch (IllegalArgumentException e) {
            LOG.warn("s3://{}: a listed key is not a valid artifact key, left out ({})", bucket, e.getMessage());
            return Optional.empty();
        }
    }

    private record Listing(List<String> keys, List<String> prefixes) {}

    private Listing listKeys(String bucket, String prefix, String delimiter) throws IOException {
        List<String> keys = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        S3Location where = new S3Location(bucket, prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix);
        String token = null;
        do {
            String continuation = token;
            ListObjectsV2Response page = call("ListObjectsV2", where, () -> client.listObjectsV2(r -> r.bucket(bucket).prefix(prefix)
                    .delimiter(delimiter).maxKeys(settings.listPageSize()).continuationToken(continuation)));
            page.contents().stream().map(S3Object::key).forEach(keys::add);
            page.commonPrefixes().stream().map(CommonPrefix::prefix).forEach(prefixes::add);
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        return new Listing(keys, prefixes);
    }

    @Override
    public boolean delete(URI uri) throws IOException {
        S3Location loc = artifact(uri);
        if (head(manifestOf(loc)).isPresent()) {
            deleteDirectory(loc);
            return true;
        }
        if (head(loc).isPresent()) {
            deleteObject(loc);
            return true;
        }
        return false;
    }

    private void deleteDirectory(S3Location loc) throws IOException {
        deleteObject(manifestOf(loc));
        for (String key : listKeys(loc.bucket(), loc.key() + "/", null).keys()) {
            call("DeleteObject", loc, () -> client.deleteObject(d -> d.bucket(loc.bucket()).key(key)));
        }
    }

    private void deleteObject(S3Location loc) throws IOException {
        call("DeleteObject", loc, () -> client.deleteObject(d -> d.bucket(loc.bucket()).key(loc.key())));
    }

    @Override
    public String sha256(URI uri) throws IOException {
        S3Location loc = artifact(uri);
        Found found = find(loc, uri);
        if (found.directory()) {
            SortedMap<String, String> manifest = readManifest(loc, found.head().eTag()).orElseThrow(() ->
                    new NoSuchFileException(uri.toString(), null, "the artifact's manifest went away"));
            return Digests.sha256Hex(Digests.manifest(manifest));
        }
        Optional<String> expected = expectedSha(loc, found.head());
        if (expected.isPresent()) {
            return expected.get();
        }
        Path tmp = Files.createTempFile("safelora-s3-", ".sha");
        try {
            download(loc, found.head().eTag(), tmp, null);
            return Digests.fileSha256(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // ---- manifest ----------------------------------------------------------------------------------------

    /**
     * The directory's manifest (relative path to sha256), every line checked: paths relative, without empty or dot
     * segments, backslashes or control characters; digests 64 lower-case hex digits. Empty if there is none.
     */
    private Optional<SortedMap<String, String>> readManifest(S3Location dir, String etag) throws IOException {
        S3Location m = manifestOf(dir);
        Optional<HeadObjectResponse> head = head(m);
        if (head.isEmpty()) {
            return Optional.empty();
        }
        if (head.get().contentLength() != null && head.get().contentLength() > MAX_MANIFEST_BYTES) {
            throw new IOException("manifest of " + dir.toUri() + " is larger than " + MAX_MANIFEST_BYTES + " bytes; refusing it");
        }
        String text;
        try {
            text = call("GetObject", m, () -> client.getObject(r -> r.bucket(m.bucket()).key(m.key()).ifMatch(etag != null ? etag : head.get().eTag())
                    .checksumMode(ChecksumMode.ENABLED), AsyncResponseTransformer.toBytes())).asUtf8String();
        } catch (NoSuchFileException raced) {
            return Optional.empty();
        }
        SortedMap<String, String> entries;
        try {
            entries = new TreeMap<>(Digests.parseManifest(text));
        } catch (IllegalArgumentException e) {
            throw new IOException("manifest of " + dir.toUri() + " is malformed (expected lines 'path<TAB>sha256')");
        }
        for (Map.Entry<String, String> e : entries.entrySet()) {
            if (!HEX64.matcher(e.getValue()).matches()) {
                throw new IOException("manifest of " + dir.toUri() + " has a digest that is not 64 lower-case hex digits");
            }
            try {
                new S3Location(dir.bucket(), e.getKey());
            } catch (IllegalArgumentException bad) {
                throw new IOException("manifest of " + dir.toUri() + " names a path that is not a plain relative path");
            }
            if (e.getKey().startsWith("/")) {
                throw new IOException("manifest of " + dir.toUri() + " names an absolute path");
            }
        }
        return Optional.of(entries);
    }

    // ---- calls -------------------------------------------------------------------------------------------

    private Optional<HeadObjectResponse> head(S3Location loc) throws IOException {
        try {
            return Optional.of(call("HeadObject", loc, () -> client.headObject(h -> h.bucket(loc.bucket()).key(loc.key())
                    .checksumMode(ChecksumMode.ENABLED))));
        } catch (NoSuchFileException missing) {
            return Optional.empty();
        }
    }

    /** Runs one SDK call and waits for it; its failures come out as {@link S3Errors#map} says. */
    private <T> T call(String operation, S3Location loc, Supplier<CompletableFuture<T>> start) throws IOException {
        CompletableFuture<T> future;
        try {
            future = start.get();
        } catch (RuntimeException e) {
            throw S3Errors.map(e, operation, loc.toUri());
        }
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(operation + " " + loc.toUri() + " interrupted");
        } catch (ExecutionException e) {
            throw S3Errors.map(e.getCause(), operation, loc.toUri());
        }
    }
}
