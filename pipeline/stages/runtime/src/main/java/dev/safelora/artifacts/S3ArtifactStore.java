package dev.safelora.artifacts;

import dev.safelora.files.Digests;
import dev.safelora.files.FileTrees;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Artifacts in an S3-compatible object store, {@code s3://bucket/key}.
 *
 * <p>A file artifact is one object carrying its sha256 as user metadata ({@code x-amz-meta-sha256}); a
 * single PUT is atomic. A directory artifact is one object per file under {@code key/} plus a manifest
 * object {@code key/}{@value #MANIFEST} (see {@link Digests}) written LAST: a directory exists only once
 * its manifest does, so a crash mid-upload leaves no artifact, and a reader downloads exactly the files
 * the manifest lists and checks each digest.
 */
public final class S3ArtifactStore implements ArtifactStore {

    static final String MANIFEST = ".safelora-manifest";
    private static final String SHA_META = "sha256";

    private final S3Client client;
    private final Path cacheDir;

    /** @param cacheDir where {@link #open} keeps downloaded copies, by digest */
    public S3ArtifactStore(S3Client client, Path cacheDir) {
        this.client = client;
        this.cacheDir = cacheDir;
    }

    @Override
    public String scheme() {
        return "s3";
    }

    record Location(String bucket, String key) {
        String manifestKey() {
            return key + "/" + MANIFEST;
        }
    }

    static Location locate(URI uri) {
        if (!"s3".equalsIgnoreCase(uri.getScheme()) || uri.getRawAuthority() == null || uri.getRawAuthority().isEmpty()) {
            throw new IllegalArgumentException("an S3 artifact URI looks like s3://bucket/key, got: " + uri);
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String key = path.replaceAll("^/+", "").replaceAll("/+$", "");
        return new Location(uri.getRawAuthority(), key);
    }

    private static Location artifact(URI uri) {
        Location loc = locate(uri);
        if (loc.key().isEmpty()) {
            throw new IllegalArgumentException("an S3 artifact URI needs a key after the bucket, got: " + uri);
        }
        return loc;
    }

    @Override
    public String put(Path source, URI target) throws IOException {
        if (!Files.exists(source)) {
            throw new NoSuchFileException(source.toString(), null, "nothing to store");
        }
        Location loc = artifact(target);
        return Files.isDirectory(source) ? putDirectory(source, loc) : putFile(source, loc);
    }

    private String putFile(Path source, Location loc) throws IOException {
        String sha = Digests.fileSha256(source);
        Optional<S3Client.ObjectInfo> head = client.head(loc.bucket(), loc.key());
        if (head.isPresent() && sha.equals(head.get().metadata().get(SHA_META))) {
            return sha;
        }
        if (manifest(loc).isPresent()) {
            deleteDirectory(loc);
        }
        client.putFile(loc.bucket(), loc.key(), source, sha, Map.of(SHA_META, sha));
        return sha;
    }

    private String putDirectory(Path source, Location loc) throws IOException {
        SortedMap<String, String> files = Digests.fileDigests(source);
        String manifest = Digests.manifest(files);
        String digest = Digests.sha256Hex(manifest);
        Optional<SortedMap<String, String>> old = manifest(loc);
        if (old.isPresent() && Digests.sha256Hex(Digests.manifest(old.get())).equals(digest)) {
            return digest;
        }
        // The old manifest goes first: from here until the new one lands the directory does not exist.
        if (old.isPresent()) {
            client.delete(loc.bucket(), loc.manifestKey());
        }
        if (client.head(loc.bucket(), loc.key()).isPresent()) {
            client.delete(loc.bucket(), loc.key());
        }
        for (Map.Entry<String, String> f : files.entrySet()) {
            if (old.isPresent() && f.getValue().equals(old.get().get(f.getKey()))) {
                continue;
            }
            client.putFile(loc.bucket(), loc.key() + "/" + f.getKey(), source.resolve(f.getKey()), f.getValue(),
                    Map.of(SHA_META, f.getValue()));
        }
        for (String stale : client.listAll(loc.bucket(), loc.key() + "/", null).keys()) {
            String rel = stale.substring(loc.key().length() + 1);
            if (!files.containsKey(rel) && !rel.equals(MANIFEST)) {
                client.delete(loc.bucket(), stale);
            }
        }
        client.putBytes(loc.bucket(), loc.manifestKey(), manifest.getBytes(StandardCharsets.UTF_8), Map.of());
        return digest;
    }

    @Override
    public Path get(URI source, Path target) throws IOException {
        Location loc = artifact(source);
        Path dest = target.toAbsolutePath();
        Files.createDirectories(dest.getParent());
        Path tmp = dest.resolveSibling(FileArtifactStore.TMP_PREFIX + dest.getFileName() + "-" + UUID.randomUUID());
        try {
            Optional<SortedMap<String, String>> manifest = manifest(loc);
            if (manifest.isPresent()) {
                Files.createDirectories(tmp);
                for (Map.Entry<String, String> f : manifest.get().entrySet()) {
                    Path local = tmp.resolve(f.getKey()).normalize();
                    if (!local.startsWith(tmp)) {
                        throw new IOException("manifest of " + source + " names a path outside the artifact: " + f.getKey());
                    }
                    Files.createDirectories(local.getParent());
                    downloadVerified(loc.bucket(), loc.key() + "/" + f.getKey(), local, f.getValue());
                }
            } else {
                Optional<S3Client.ObjectInfo> head = client.head(loc.bucket(), loc.key());
                if (head.isEmpty()) {
                    throw new NoSuchFileException(source.toString(), null, "no artifact at " + source);
                }
                downloadVerified(loc.bucket(), loc.key(), tmp, head.get().metadata().get(SHA_META));
            }
            if (Files.isDirectory(dest)) {
                FileTrees.delete(dest);
            }
            Files.move(tmp, dest, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return target;
        } finally {
            FileTrees.delete(tmp);
        }
    }

    private void downloadVerified(String bucket, String key, Path local, String expectedSha) throws IOException {
        client.download(bucket, key, local);
        if (expectedSha != null) {
            String actual = Digests.fileSha256(local);
            if (!actual.equals(expectedSha)) {
                throw new IOException("s3://" + bucket + "/" + key + " has sha256 " + actual + ", expected " + expectedSha);
            }
        }
    }

    @Override
    public Path open(URI source) throws IOException {
        String digest = sha256(source);
        Location loc = artifact(source);
        String name = loc.key().substring(loc.key().lastIndexOf('/') + 1);
        Path cached = cacheDir.resolve(digest).resolve(name);
        if (!Files.exists(cached)) {
            get(source, cached);
        }
        return cached;
    }

    @Override
    public boolean exists(URI uri) throws IOException {
        Location loc = artifact(uri);
        return client.head(loc.bucket(), loc.key()).isPresent() || client.head(loc.bucket(), loc.manifestKey()).isPresent();
    }

    @Override
    public List<URI> list(URI prefix) throws IOException {
        Location loc = locate(prefix);
        String p = loc.key().isEmpty() ? "" : loc.key() + "/";
        S3Client.ListPage page = client.listAll(loc.bucket(), p, "/");
        List<URI> out = new ArrayList<>();
        for (String key : page.keys()) {
            String name = key.substring(p.length());
            if (!name.isEmpty() && !name.startsWith(".safelora-")) {
                out.add(uri(loc.bucket(), key));
            }
        }
        for (String dir : page.commonPrefixes()) {
            out.add(uri(loc.bucket(), dir));
        }
        out.sort(Comparator.comparing(URI::toString));
        return out;
    }

    private static URI uri(String bucket, String key) {
        return URI.create("s3://" + bucket + "/" + SigV4Signer.uriEncode(key, true));
    }

    @Override
    public boolean delete(URI uri) throws IOException {
        Location loc = artifact(uri);
        if (manifest(loc).isPresent()) {
            deleteDirectory(loc);
            return true;
        }
        if (client.head(loc.bucket(), loc.key()).isPresent()) {
            client.delete(loc.bucket(), loc.key());
            return true;
        }
        return false;
    }

    private void deleteDirectory(Location loc) throws IOException {
        client.delete(loc.bucket(), loc.manifestKey());
        for (String key : client.listAll(loc.bucket(), loc.key() + "/", null).keys()) {
            client.delete(loc.bucket(), key);
        }
    }

    @Override
    public String sha256(URI uri) throws IOException {
        Location loc = artifact(uri);
        Optional<SortedMap<String, String>> manifest = manifest(loc);
        if (manifest.isPresent()) {
            return Digests.sha256Hex(Digests.manifest(manifest.get()));
        }
        Optional<S3Client.ObjectInfo> head = client.head(loc.bucket(), loc.key());
        if (head.isEmpty()) {
            throw new NoSuchFileException(uri.toString(), null, "no artifact at " + uri);
        }
        String sha = head.get().metadata().get(SHA_META);
        if (sha != null) {
            return sha;
        }
        Path tmp = Files.createTempFile("safelora-s3-", ".sha");
        try {
            client.download(loc.bucket(), loc.key(), tmp);
            return Digests.fileSha256(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private Optional<SortedMap<String, String>> manifest(Location loc) throws IOException {
        if (client.head(loc.bucket(), loc.manifestKey()).isEmpty()) {
            return Optional.empty();
        }
        try {
            String text = new String(client.getBytes(loc.bucket(), loc.manifestKey()), StandardCharsets.UTF_8);
            return Optional.of(new TreeMap<>(Digests.parseManifest(text)));
        } catch (NoSuchFileException raced) {
            return Optional.empty();
        }
    }
}
