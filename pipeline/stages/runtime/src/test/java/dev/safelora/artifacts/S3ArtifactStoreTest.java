package dev.safelora.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import dev.safelora.files.Digests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class S3ArtifactStoreTest {

    private static final AwsCredentials CREDS = new AwsCredentials("AKIDTEST", "s3cr3t/key+", "session-tok");

    @TempDir Path tmp;
    private FakeS3Server s3;
    private S3ArtifactStore store;

    @BeforeEach
    void start() throws Exception {
        s3 = new FakeS3Server(CREDS, "eu-central-1");
        store = new S3ArtifactStore(client(CREDS), tmp.resolve("cache"));
    }

    @AfterEach
    void stop() {
        s3.close();
    }

    private S3Client client(AwsCredentials creds) {
        S3Settings settings = new S3Settings(s3.endpoint(), "eu-central-1", true, creds, Duration.ofSeconds(5), 3);
        return new S3Client(settings, HttpClient.newHttpClient(), Clock.systemUTC());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void fileRoundTripWithDigestMetadataAndIdempotentPut() throws Exception {
        byte[] bytes = "adapter bytes \u00e9".getBytes(StandardCharsets.UTF_8);
        Path f = Files.write(tmp.resolve("report.json"), bytes);
        URI uri = URI.create("s3://bucket-1/reports/req%201/report.json");

        String digest = store.put(f, uri);
        assertThat(digest).isEqualTo(sha256(bytes));
        assertThat(s3.objects.get("bucket-1/reports/req 1/report.json").bytes()).isEqualTo(bytes);
        assertThat(s3.objects.get("bucket-1/reports/req 1/report.json").metadata()).containsEntry("x-amz-meta-sha256", digest);
        assertThat(s3.requests).anyMatch(r -> r.equals("PUT /bucket-1/reports/req%201/report.json"));

        long puts = s3.count("PUT");
        assertThat(store.put(f, uri)).isEqualTo(digest);
        assertThat(s3.count("PUT")).as("identical content is not uploaded again").isEqualTo(puts);

        assertThat(store.exists(uri)).isTrue();
        assertThat(store.sha256(uri)).isEqualTo(sha256(bytes));
        Path back = store.get(uri, tmp.resolve("out/back.json"));
        assertThat(Files.readAllBytes(back)).isEqualTo(bytes);
        Path opened = store.open(uri);
        assertThat(Files.readAllBytes(opened)).isEqualTo(bytes);
        assertThat(opened).startsWith(tmp.resolve("cache"));
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
        assertThat(new String(s3.objects.get("bkt/adapters/req-7/.safelora-manifest").bytes(), StandardCharsets.UTF_8)).isEqualTo(manifest);
        List<String> puts = s3.requests.stream().filter(r -> r.startsWith("PUT")).toList();
        assertThat(puts).hasSize(4);
        assertThat(puts.get(3)).isEqualTo("PUT /bkt/adapters/req-7/.safelora-manifest");

        assertThat(store.exists(uri)).isTrue();
        assertThat(store.sha256(uri)).isEqualTo(digest);
        Path back = store.get(uri, tmp.resolve("back"));
        assertThat(Files.readString(back.resolve("extra/notes.txt"))).isEqualTo("n");
        assertThat(Files.exists(back.resolve(".safelora-manifest"))).isFalse();
        assertThat(Digests.directorySha256(back)).isEqualTo(digest);

        assertThat(store.list(URI.create("s3://bkt/adapters"))).containsExactly(URI.create("s3://bkt/adapters/req-7/"));
        assertThat(store.list(URI.create("s3://bkt/adapters/req-7"))).containsExactly(
                URI.create("s3://bkt/adapters/req-7/adapter_config.json"),
                URI.create("s3://bkt/adapters/req-7/adapter_model.safetensors"),
                URI.create("s3://bkt/adapters/req-7/extra/"));

        // Change one file, drop another: one file upload, the stale object removed, a new manifest.
        Files.write(dir.resolve("adapter_model.safetensors"), new byte[] {9});
        Files.delete(dir.resolve("extra/notes.txt"));
        s3.requests.clear();
        String digest2 = store.put(dir, uri);
        assertThat(digest2).isNotEqualTo(digest).isEqualTo(Digests.directorySha256(dir));
        assertThat(s3.requests.stream().filter(r -> r.startsWith("PUT")).toList()).containsExactly(
                "PUT /bkt/adapters/req-7/adapter_model.safetensors", "PUT /bkt/adapters/req-7/.safelora-manifest");
        assertThat(s3.objects).doesNotContainKey("bkt/adapters/req-7/extra/notes.txt");

        assertThat(store.delete(uri)).isTrue();
        assertThat(store.exists(uri)).isFalse();
        assertThat(s3.objects.keySet()).noneMatch(k -> k.startsWith("bkt/adapters/req-7"));
        assertThat(store.delete(uri)).isFalse();
    }

    @Test
    void directoryWithoutManifestDoesNotExist() throws Exception {
        // What a crash between the file uploads and the manifest leaves behind.
        s3.objects.put("bkt/half/adapter_config.json", new FakeS3Server.StoredObject(new byte[] {1}, Map.of()));
        URI uri = URI.create("s3://bkt/half");
        assertThat(store.exists(uri)).isFalse();
        assertThatThrownBy(() -> store.get(uri, tmp.resolve("x"))).isInstanceOf(NoSuchFileException.class).hasMessageContaining("s3://bkt/half");
        assertThatThrownBy(() -> store.sha256(uri)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void corruptedObjectIsRefusedOnDownload() throws Exception {
        Path f = Files.writeString(tmp.resolve("a.txt"), "good");
        URI uri = URI.create("s3://bkt/a.txt");
        store.put(f, uri);
        FakeS3Server.StoredObject o = s3.objects.get("bkt/a.txt");
        s3.objects.put("bkt/a.txt", new FakeS3Server.StoredObject("evil".getBytes(StandardCharsets.UTF_8), o.metadata()));
        assertThatThrownBy(() -> store.get(uri, tmp.resolve("b.txt"))).hasMessageContaining("sha256");
        assertThat(tmp.resolve("b.txt")).doesNotExist();
    }

    @Test
    void serverErrorsAreRetriedAndClientErrorsAreNot() throws Exception {
        Path f = Files.writeString(tmp.resolve("a.txt"), "x");
        s3.failNext(503);
        s3.failNext(500);
        store.put(f, URI.create("s3://bkt/a.txt"));
        assertThat(s3.objects).containsKey("bkt/a.txt");

        s3.requests.clear();
        s3.failNext(403);
        assertThatThrownBy(() -> store.exists(URI.create("s3://bkt/b.txt")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.status()).isEqualTo(403));
        assertThat(s3.requests).hasSize(1);
    }

    @Test
    void wrongSecretIsRefusedByTheSignatureCheck() throws Exception {
        S3Client wrong = client(new AwsCredentials("AKIDTEST", "not-the-secret", "session-tok"));
        assertThatThrownBy(() -> wrong.putBytes("bkt", "a.txt", new byte[] {1}, Map.of()))
                .isInstanceOfSatisfying(S3Exception.class, e -> {
                    assertThat(e.status()).isEqualTo(403);
                    assertThat(e.code()).isEqualTo("SignatureDoesNotMatch");
                    assertThat(e.getMessage()).startsWith("PUT http://127.0.0.1:");
                });
        assertThat(s3.objects).isEmpty();
        S3ArtifactStore wrongStore = new S3ArtifactStore(wrong, tmp);
        assertThatThrownBy(() -> wrongStore.exists(URI.create("s3://bkt/a.txt")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.status()).isEqualTo(403));
    }

    @Test
    void listingPagesThroughContinuationTokens() throws Exception {
        for (int i = 0; i < 5; i++) {
            store.put(Files.writeString(tmp.resolve("f" + i), "v" + i), URI.create("s3://bkt/many/f" + i));
        }
        assertThat(store.list(URI.create("s3://bkt/many/"))).hasSize(5)
                .first().isEqualTo(URI.create("s3://bkt/many/f0"));
        assertThat(s3.requests.stream().filter(r -> r.startsWith("GET /bkt/?")).count()).isEqualTo(3);
        assertThat(store.list(URI.create("s3://bkt/nothing"))).isEmpty();
    }

    @Test
    void largeFilesGoUpInPartsAndAFailedCompletionIsAborted() throws Exception {
        S3Settings small = new S3Settings(s3.endpoint(), "eu-central-1", true, CREDS, Duration.ofSeconds(10), 3, S3Settings.MIN_PART_SIZE);
        S3ArtifactStore parts = new S3ArtifactStore(new S3Client(small, HttpClient.newHttpClient(), Clock.systemUTC()), tmp.resolve("c"));
        byte[] bytes = new byte[(int) (2 * S3Settings.MIN_PART_SIZE + 12_345)];
        new java.util.Random(7).nextBytes(bytes);
        Path big = Files.write(tmp.resolve("alignment.safetensors"), bytes);
        URI uri = URI.create("s3://bkt/alignments/llama/v.safetensors");

        String digest = parts.put(big, uri);
        assertThat(digest).isEqualTo(sha256(bytes));
        assertThat(s3.requests.stream().filter(r -> r.startsWith("PUT /bkt/alignments/llama/v.safetensors?partNumber=")).count()).isEqualTo(3);
        assertThat(s3.objects.get("bkt/alignments/llama/v.safetensors").bytes()).isEqualTo(bytes);
        assertThat(s3.objects.get("bkt/alignments/llama/v.safetensors").metadata()).containsEntry("x-amz-meta-sha256", digest);
        assertThat(parts.sha256(uri)).isEqualTo(digest);
        assertThat(Files.readAllBytes(parts.get(uri, tmp.resolve("back.safetensors")))).isEqualTo(bytes);
        assertThat(s3.uploadParts).isEmpty();

        s3.failNextCompleteIn200 = true;
        bytes[0] ^= 1;
        Files.write(big, bytes);
        URI other = URI.create("s3://bkt/alignments/qwen/v.safetensors");
        assertThatThrownBy(() -> parts.put(big, other))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.code()).isEqualTo("InternalError"));
        assertThat(s3.uploadParts).as("the failed upload was aborted").isEmpty();
        assertThat(parts.exists(other)).isFalse();
    }

    @Test
    void virtualHostedRequestsPutTheBucketInTheHost() {
        S3Settings settings = new S3Settings(URI.create("https://s3.eu-west-1.amazonaws.com"), "eu-west-1", false, CREDS, Duration.ofSeconds(5), 1);
        S3Client c = new S3Client(settings);
        assertThat(c.requestUri("my-bucket", "a b/c.json", Map.of()).toString())
                .isEqualTo("https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b/c.json");
        assertThat(c.requestUri("my-bucket", "", Map.of("prefix", "x/", "list-type", "2")).toString())
                .isEqualTo("https://my-bucket.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=x%2F");
    }

    @Test
    void settingsFromEnvironment() {
        S3Settings minio = S3Settings.fromEnv(Map.of("AWS_ACCESS_KEY_ID", "id", "AWS_SECRET_ACCESS_KEY", "sk",
                "AWS_ENDPOINT_URL_S3", "http://minio:9000"));
        assertThat(minio.endpoint()).isEqualTo(URI.create("http://minio:9000"));
        assertThat(minio.pathStyle()).isTrue();
        assertThat(minio.region()).isEqualTo("us-east-1");
        assertThat(minio.credentials().sessionToken()).isNull();

        S3Settings aws = S3Settings.fromEnv(Map.of("AWS_ACCESS_KEY_ID", "id", "AWS_SECRET_ACCESS_KEY", "sk",
                "AWS_SESSION_TOKEN", "t", "AWS_REGION", "ap-south-1"));
        assertThat(aws.endpoint()).isEqualTo(URI.create("https://s3.ap-south-1.amazonaws.com"));
        assertThat(aws.pathStyle()).isFalse();
        assertThat(aws.credentials().sessionToken()).isEqualTo("t");

        assertThatThrownBy(() -> S3Settings.fromEnv(Map.of("AWS_ACCESS_KEY_ID", "id")))
                .hasMessageContaining("AWS_SECRET_ACCESS_KEY");
        assertThat(CREDS.toString()).doesNotContain("s3cr3t");
    }
}
