package dev.safelora.artifacts.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.safelora.artifacts.ArtifactStore;
import dev.safelora.artifacts.ArtifactStores;
import dev.safelora.artifacts.RemoteStoreException;
import dev.safelora.files.Digests;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jclouds.blobstore.domain.Blob;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The s3 store against S3Proxy (a real S3 protocol server, in this JVM), with faults injected in front of it. */
class S3ArtifactStoreTest {

    private static S3ProxyFixture s3;
    // One client for the class: building and closing an SDK client (its Netty event loops) takes seconds.
    private static S3ArtifactStore store;
    @TempDir static Path work;
    private static Path cache;
    @TempDir Path tmp;

    @BeforeAll
    static void startServer() throws Exception {
        s3 = new S3ProxyFixture();
        cache = work.resolve("cache");
        store = new S3ArtifactStore(s3.settings(), cache);
    }

    @AfterAll
    static void stopServer() throws Exception {
        store.close();
        s3.close();
    }

    /** Each test on an empty bucket, without faults, with a fresh request log. */
    @BeforeEach
    void reset() {
        s3.reset();
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private byte[] stored(String key) throws Exception {
        Blob blob = s3.blobs.getBlob(S3ProxyFixture.BUCKET, key);
        assertThat(blob).as("object %s", key).isNotNull();
        try (var in = blob.getPayload().openStream()) {
            return in.readAllBytes();
        }
    }

    @Test
    void fileRoundTripWithDigestMetadataAndIdempotentPut() throws Exception {
        byte[] bytes = "adapter bytes \u00e9".getBytes(StandardCharsets.UTF_8);
        Path f = Files.write(tmp.resolve("report.json"), bytes);
        URI uri = URI.create("s3://bkt/reports/req%201/report.json");

        String digest = store.put(f, uri);
        assertThat(digest).isEqualTo(sha256(bytes));
        assertThat(stored("reports/req 1/report.json")).isEqualTo(bytes);
        assertThat(s3.blobs.blobMetadata("bkt", "reports/req 1/report.json").getUserMetadata()).containsEntry("sha256", digest);
        assertThat(s3.faults.count("PUT", "/bkt/reports/req%201/report.json")).isEqualTo(1);

        assertThat(store.put(f, uri)).isEqualTo(digest);
        assertThat(s3.faults.count("PUT", "/bkt/reports")).as("identical content is not uploaded again").isEqualTo(1);

        assertThat(store.exists(uri)).isTrue();
        assertThat(store.sha256(uri)).isEqualTo(digest);
        assertThat(Files.readAllBytes(store.get(uri, tmp.resolve("out/back.json")))).isEqualTo(bytes);
        Path opened = store.open(uri);
        assertThat(Files.readAllBytes(opened)).isEqualTo(bytes);
        assertThat(opened).startsWith(cache).hasFileName("report.json");
    }

    @Test
    void directoryGoesUpWithManifestLastAndComesBackVerified() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("adapter"));
        Files.writeString(dir.resolve("adapter_config.json"), "{\"r\":8}");
        Files.write(dir.resolve("adapter_model.safetensors"), new byte[] {1, 2, 3, 4});
        Files.createDirectories(dir.resolve("extra"));
        Files.writeString(dir.resolve("extra/notes.txt"), "n");
        URI uri = URI.create("s3://bkt/adapters/req-7");

        String digest = store.put(dir, uri);
        String manifest = "adapter_config.json\t" + sha256("{\"r\":8}".getBytes(StandardCharsets.UTF_8)) + "\n"
                + "adapter_model.safetensors\t" + sha256(new byte[] {1, 2, 3, 4}) + "\n"
                + "extra/notes.txt\t" + sha256("n".getBytes(StandardCharsets.UTF_8)) + "\n";
        assertThat(digest).isEqualTo(sha256(manifest.getBytes(StandardCharsets.UTF_8)));
        assertThat(new String(stored("adapters/req-7/.safelora-manifest"), StandardCharsets.UTF_8)).isEqualTo(manifest);
        List<String> puts = s3.faults.requests.stream().filter(r -> r.startsWith("PUT ")).toList();
        assertThat(puts).hasSize(4);
        assertThat(puts.get(3)).startsWith("PUT /bkt/adapters/req-7/.safelora-manifest");

        assertThat(store.exists(uri)).isTrue();
        assertThat(store.sha256(uri)).isEqualTo(digest);
        Path back = store.get(uri, tmp.resolve("back"));
        assertThat(Files.readString(back.resolve("extra/notes.txt"))).isEqualTo("n");
        assertThat(back.resolve(".safelora-manifest")).doesNotExist();
        assertThat(Digests.directorySha256(back)).isEqualTo(digest);
        assertThat(Digests.directorySha256(store.open(uri))).isEqualTo(digest);

        assertThat(store.list(URI.create("s3://bkt/adapters"))).containsExactly(URI.create("s3://bkt/adapters/req-7/"));
        assertThat(store.list(URI.create("s3://bkt/adapters/req-7"))).containsExactly(
                URI.create("s3://bkt/adapters/req-7/adapter_config.json"),
                URI.create("s3://bkt/adapters/req-7/adapter_model.safetensors"),
                URI.create("s3://bkt/adapters/req-7/extra/"));

        // Change one file, drop another: one file upload, the stale object removed, a new manifest.
        Files.write(dir.resolve("adapter_model.safetensors"), new byte[] {9});
        Files.delete(dir.resolve("extra/notes.txt"));
        s3.faults.requests.clear();
        String digest2 = store.put(dir, uri);
        assertThat(digest2).isNotEqualTo(digest).isEqualTo(Digests.directorySha256(dir));
        assertThat(s3.faults.requests.stream().filter(r -> r.startsWith("PUT ")).map(r -> r.split("\\?")[0]).toList()).containsExactly(
                "PUT /bkt/adapters/req-7/adapter_model.safetensors", "PUT /bkt/adapters/req-7/.safelora-manifest");
        assertThat(s3.blobs.blobExists("bkt", "adapters/req-7/extra/notes.txt")).isFalse();

        assertThat(store.delete(uri)).isTrue();
        assertThat(store.exists(uri)).isFalse();
        assertThat(store.list(URI.create("s3://bkt/adapters"))).isEmpty();
        assertThat(store.delete(uri)).isFalse();
    }

    @Test
    void directoryWithoutManifestDoesNotExist() throws Exception {
        // What a crash between the file uploads and the manifest leaves behind.
        s3.blobs.putBlob("bkt", s3.blobs.blobBuilder("half/adapter_config.json").payload(new byte[] {1}).build());
        URI uri = URI.create("s3://bkt/half");
        assertThat(store.exists(uri)).isFalse();
        assertThatThrownBy(() -> store.get(uri, tmp.resolve("x"))).isInstanceOf(NoSuchFileException.class).hasMessageContaining("s3://bkt/half");
        assertThatThrownBy(() -> store.sha256(uri)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void missingKeysAreNoSuchFileNamingTheUri() throws Exception {
        URI uri = URI.create("s3://bkt/nothing/here.safetensors");
        assertThat(store.exists(uri)).isFalse();
        assertThatThrownBy(() -> store.get(uri, tmp.resolve("x"))).isInstanceOf(NoSuchFileException.class).hasMessageContaining(uri.toString());
        assertThatThrownBy(() -> store.open(uri)).isInstanceOf(NoSuchFileException.class).hasMessageContaining(uri.toString());
        assertThatThrownBy(() -> store.sha256(uri)).isInstanceOf(NoSuchFileException.class);
        assertThat(store.delete(uri)).isFalse();
        assertThat(store.list(URI.create("s3://bkt/nothing"))).isEmpty();
        assertThat(tmp.resolve("x")).doesNotExist();
        assertThatThrownBy(() -> store.put(tmp.resolve("absent"), uri)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void corruptedObjectIsRefusedOnDownload() throws Exception {
        Path f = Files.writeString(tmp.resolve("a.txt"), "good");
        URI uri = URI.create("s3://bkt/a.txt");
        store.put(f, uri);
        Map<String, String> meta = s3.blobs.blobMetadata("bkt", "a.txt").getUserMetadata();
        s3.blobs.putBlob("bkt", s3.blobs.blobBuilder("a.txt").payload("evil".getBytes(StandardCharsets.UTF_8)).userMetadata(meta).build());
        assertThatThrownBy(() -> store.get(uri, tmp.resolve("b.txt"))).hasMessageContaining("sha256");
        assertThat(tmp.resolve("b.txt")).doesNotExist();
    }

    @Test
    void listingPagesThroughContinuationTokens() throws Exception {
        try (S3ArtifactStore paged = new S3ArtifactStore(s3.settings().withListPageSize(2), tmp.resolve("c2"))) {
            for (int i = 0; i < 5; i++) {
                paged.put(Files.writeString(tmp.resolve("f" + i), "v" + i), URI.create("s3://bkt/many/f" + i));
            }
            s3.faults.requests.clear();
            assertThat(paged.list(URI.create("s3://bkt/many/"))).containsExactly(
                    URI.create("s3://bkt/many/f0"), URI.create("s3://bkt/many/f1"), URI.create("s3://bkt/many/f2"),
                    URI.create("s3://bkt/many/f3"), URI.create("s3://bkt/many/f4"));
            assertThat(s3.faults.count("GET", "list-type=2")).as("5 keys in pages of 2").isEqualTo(3);
        }
    }

    @Test
    void largeFilesGoUpInPartsAndComeBackWhole() throws Exception {
        byte[] bytes = new byte[(int) (2 * S3Settings.MIN_PART_SIZE + 12_345)];
        new Random(7).nextBytes(bytes);
        Path big = Files.write(tmp.resolve("alignment.safetensors"), bytes);
        URI uri = URI.create("s3://bkt/alignments/llama/v.safetensors");

        String digest = store.put(big, uri);
        assertThat(digest).isEqualTo(sha256(bytes));
        assertThat(s3.faults.count("PUT", "/bkt/alignments/llama/v.safetensors?partNumber=")).isEqualTo(3);
        assertThat(stored("alignments/llama/v.safetensors")).isEqualTo(bytes);
        assertThat(s3.blobs.blobMetadata("bkt", "alignments/llama/v.safetensors").getUserMetadata()).containsEntry("sha256", digest);
        assertThat(store.sha256(uri)).isEqualTo(digest);
        assertThat(Files.readAllBytes(store.get(uri, tmp.resolve("back.safetensors")))).isEqualTo(bytes);
        assertThat(s3.blobs.listMultipartUploads("bkt")).isEmpty();
    }

    @Test
    void aFailedMultipartUploadIsAbortedAndLeavesNoObject() throws Exception {
        byte[] bytes = new byte[(int) (S3Settings.MIN_PART_SIZE + 1000)];
        new Random(11).nextBytes(bytes);
        Path big = Files.write(tmp.resolve("big.bin"), bytes);
        URI uri = URI.create("s3://bkt/alignments/qwen/v.safetensors");
        s3.faults.fail("PUT", "partNumber=2", 500, "InternalError", Integer.MAX_VALUE);

        assertThatThrownBy(() -> store.put(big, uri)).isInstanceOfSatisfying(RemoteStoreException.class, e -> {
            assertThat(e.status()).isEqualTo(500);
            assertThat(e.retryable()).isTrue();
        });
        assertThat(s3.faults.count("PUT", "partNumber=2")).as("the SDK's attempts at the failing part").isEqualTo(3);
        // The SDK aborts the upload as it fails the call; the abort may land just after the call returns.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(s3.faults.count("DELETE", "/bkt/alignments/qwen/v.safetensors?uploadId=")).as("AbortMultipartUpload").isEqualTo(1);
            assertThat(s3.blobs.listMultipartUploads("bkt")).isEmpty();
        });
        assertThat(store.exists(uri)).isFalse();
    }

    @Test
    void serverErrorsAreRetriedByTheSdkAndTheRetriesShow() throws Exception {
        Path f = Files.writeString(tmp.resolve("a.txt"), "x");
        URI uri = URI.create("s3://bkt/flaky/a.txt");
        long retriesBefore = store.traffic().retries();
        s3.faults.fail("PUT", "/bkt/flaky/a.txt", 503, "SlowDown", 1);
        s3.faults.fail("PUT", "/bkt/flaky/a.txt", 500, "InternalError", 1);

        assertThat(store.put(f, uri)).isEqualTo(sha256("x".getBytes(StandardCharsets.UTF_8)));
        assertThat(s3.faults.count("PUT", "/bkt/flaky/a.txt")).isEqualTo(3);
        assertThat(s3.faults.injected.get()).isEqualTo(2);
        assertThat(store.traffic().retries() - retriesBefore).as("the SDK's retries, as the store counts them").isEqualTo(2);
        assertThat(stored("flaky/a.txt")).isEqualTo("x".getBytes(StandardCharsets.UTF_8));

        s3.faults.fail("HEAD", "/bkt/flaky/b.txt", 503, "ServiceUnavailable", Integer.MAX_VALUE);
        assertThatThrownBy(() -> store.exists(URI.create("s3://bkt/flaky/b.txt")))
                .isInstanceOfSatisfying(RemoteStoreException.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.attempts()).isEqualTo(3);
                    assertThat(e.retryable()).isTrue();
                    assertThat(e.getMessage()).contains("HeadObject s3://bkt/flaky/b.txt failed: HTTP 503").contains("(3 attempts)");
                });
        assertThat(s3.faults.count("HEAD", "/bkt/flaky/b.txt")).isEqualTo(3);
    }

    @Test
    void clientErrorsAreNotRetried() throws Exception {
        s3.faults.fail("HEAD", "/bkt/denied", 403, "AccessDenied", 1);
        assertThatThrownBy(() -> store.exists(URI.create("s3://bkt/denied")))
                .isInstanceOfSatisfying(RemoteStoreException.class, e -> {
                    assertThat(e.status()).isEqualTo(403);
                    assertThat(e.attempts()).isEqualTo(1);
                    assertThat(e.retryable()).isFalse();
                });
        assertThat(s3.faults.count("HEAD", "/bkt/denied")).isEqualTo(1);
    }

    @Test
    void wrongSecretIsRefusedByTheServersSignatureCheck() throws Exception {
        S3Settings wrong = s3.settings().withCredentials(StaticCredentialsProvider.create(
                AwsBasicCredentials.create(S3ProxyFixture.ACCESS_KEY, "not-the-secret")));
        try (S3ArtifactStore wrongStore = new S3ArtifactStore(wrong, tmp.resolve("w"))) {
            Path f = Files.writeString(tmp.resolve("a.txt"), "x");
            assertThatThrownBy(() -> wrongStore.put(f, URI.create("s3://bkt/a.txt")))
                    .isInstanceOfSatisfying(RemoteStoreException.class, e -> {
                        assertThat(e.status()).isEqualTo(403);
                        assertThat(e.retryable()).isFalse();
                        assertThat(e.getMessage()).doesNotContain("not-the-secret");
                    });
        }
        assertThat(s3.blobs.blobExists("bkt", "a.txt")).isFalse();
    }

    @Test
    void noServerIsARetryableFailureWithoutStatus() throws Exception {
        S3Settings nowhere = s3.settings().withEndpoint(URI.create("http://127.0.0.1:1"), true);
        try (S3ArtifactStore dead = new S3ArtifactStore(nowhere, tmp.resolve("d"))) {
            assertThatThrownBy(() -> dead.exists(URI.create("s3://bkt/a.txt")))
                    .isInstanceOfSatisfying(RemoteStoreException.class, e -> {
                        assertThat(e.status()).isZero();
                        assertThat(e.retryable()).as(e.getMessage()).isTrue();
                        // It retried and stayed within the 3 allowed; the SDK reported 2 for a refused connection
                        // on one loaded CI run, so the exact count is not a contract this test can hold it to.
                        assertThat(e.attempts()).isBetween(2, 3);
                    });
        }
    }

    @Test
    void containsIsBucketAndWholeKeySegments() {
        URI root = URI.create("s3://bkt/artifacts");
        assertThat(store.contains(root, URI.create("s3://bkt/artifacts/adapters/r1/projected"))).isTrue();
        assertThat(store.contains(root, URI.create("s3://bkt/artifacts"))).isTrue();
        assertThat(store.contains(root, URI.create("s3://bkt/artifacts-old/x"))).isFalse();
        assertThat(store.contains(root, URI.create("s3://other/artifacts/x"))).isFalse();
        assertThatThrownBy(() -> store.contains(root, URI.create("s3://bkt/artifacts/../secrets"))).hasMessageContaining("dot segment");
        assertThatThrownBy(() -> store.contains(root, URI.create("s3://u:p@bkt/artifacts/x"))).hasMessageContaining("user information");
    }

    @Test
    void hostileUrisAreRefusedBeforeAnyRequest() {
        for (String bad : List.of("s3://user:pw@bkt/k", "s3://bkt:99/k", "s3://bkt/a/../../b", "s3://bkt/k?x=1", "s3://bkt/k#f")) {
            assertThatThrownBy(() -> store.exists(URI.create(bad))).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(s3.faults.requests).isEmpty();
    }

    // ---- issue 13.1: nothing the store answers becomes a local path ----------------------------------------

    private static List<Path> filesUnder(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (var walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void aDigestThatIsNotHexIsRefusedAndNothingIsWrittenOutsideTheCache() throws Exception {
        s3.blobs.putBlob("bkt", s3.blobs.blobBuilder("dir/model.safetensors").payload("weights".getBytes(StandardCharsets.UTF_8))
                .userMetadata(Map.of("sha256", "../../escape")).build());
        List<Path> before = filesUnder(work);

        assertThatThrownBy(() -> store.open(URI.create("s3://bkt/dir/model.safetensors")))
                .hasMessageContaining("s3://bkt/dir/model.safetensors")
                .hasMessageContaining("not 64 lower-case hex digits")
                .hasMessageNotContaining("escape");
        assertThat(filesUnder(work)).isEqualTo(before);
        assertThat(cache.resolveSibling("escape")).doesNotExist();
        assertThat(cache.resolve("escape")).doesNotExist();
    }

    @Test
    void theCacheEntryIsNamedByBucketKeyAndEtagAndFollowsNewVersions() throws Exception {
        String key = "plain/model.safetensors";
        s3.blobs.putBlob("bkt", s3.blobs.blobBuilder(key).payload("v1".getBytes(StandardCharsets.UTF_8)).build());
        URI uri = URI.create("s3://bkt/" + key);

        Path first = store.open(uri);
        String etag = quoted(s3.blobs.blobMetadata("bkt", key).getETag());
        String expectedEntry = sha256(("s3\nbkt\n" + key + "\n" + etag + "\n").getBytes(StandardCharsets.UTF_8));
        assertThat(first).isEqualTo(cache.resolve(expectedEntry).resolve("model.safetensors"));
        assertThat(Files.readString(first)).isEqualTo("v1");
        assertThat(store.sha256(uri)).as("no metadata: the digest is computed from the bytes").isEqualTo(sha256("v1".getBytes(StandardCharsets.UTF_8)));

        long gets = s3.faults.count("GET", "/bkt/" + key);
        assertThat(store.open(uri)).isEqualTo(first);
        assertThat(s3.faults.count("GET", "/bkt/" + key)).as("the same version comes from the cache").isEqualTo(gets);

        s3.blobs.putBlob("bkt", s3.blobs.blobBuilder(key).payload("v2".getBytes(StandardCharsets.UTF_8)).build());
        Path second = store.open(uri);
        assertThat(second).isNotEqualTo(first).startsWith(cache);
        assertThat(Files.readString(second)).isEqualTo("v2");
        assertThat(Files.readString(first)).as("a reader of the old version keeps its copy").isEqualTo("v1");
    }

    private static String quoted(String etag) {
        return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
    }

    @Test
    void aManifestNamingPathsOutsideTheArtifactOrBadDigestsIsRefused() throws Exception {
        String hex = "ab".repeat(32);
        s3.blobs.putBlob("bkt", s3.blobs.blobBuilder("evil/x").payload(new byte[] {1}).build());
        s3.blobs.putBlob("bkt", s3.blobs.blobBuilder("evil/.safelora-manifest")
                .payload(("../../outside.txt\t" + hex + "\n").getBytes(StandardCharsets.UTF_8)).build());
        s3.blobs.putBlob("bkt", s3.blobs.blobBuilder("notdigest/.safelora-manifest")
                .payload(("a.txt\t" + "z".repeat(64) + "\n").getBytes(StandardCharsets.UTF_8)).build());
        List<Path> before = filesUnder(work);

        assertThatThrownBy(() -> store.open(URI.create("s3://bkt/evil"))).hasMessageContaining("not a plain relative path");
        assertThatThrownBy(() -> store.get(URI.create("s3://bkt/evil"), tmp.resolve("out/evil"))).hasMessageContaining("not a plain relative path");
        assertThatThrownBy(() -> store.open(URI.create("s3://bkt/notdigest"))).hasMessageContaining("not 64 lower-case hex digits");
        assertThat(filesUnder(work)).isEqualTo(before);
        assertThat(filesUnder(tmp)).isEmpty();
    }

    // ---- found by ArtifactStores, configured from the environment ------------------------------------------

    @Test
    void artifactStoresFindsTheS3StoreThroughServiceLoader() throws Exception {
        Map<String, String> env = Map.of("AWS_ENDPOINT_URL_S3", s3.endpoint().toString(),
                "AWS_ACCESS_KEY_ID", S3ProxyFixture.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3ProxyFixture.SECRET_KEY);
        ArtifactStores stores = ArtifactStores.standard(env, tmp.resolve("cache"));
        assertThat(stores.schemes()).containsExactly("file", "s3");
        ArtifactStore found = stores.forUri(URI.create("s3://bkt/x"));
        assertThat(found).isInstanceOf(S3ArtifactStore.class);
        try (S3ArtifactStore s3Store = (S3ArtifactStore) found) {
            assertThat(s3Store.settings().pathStyle()).isTrue();
            Path f = Files.writeString(tmp.resolve("via-env.txt"), "env");
            s3Store.put(f, URI.create("s3://bkt/env/via-env.txt"));
            assertThat(Files.readString(s3Store.open(URI.create("s3://bkt/env/via-env.txt")))).isEqualTo("env");
            assertThat(s3Store.open(URI.create("s3://bkt/env/via-env.txt"))).startsWith(tmp.resolve("cache").resolve("s3"));
        }
    }
}
