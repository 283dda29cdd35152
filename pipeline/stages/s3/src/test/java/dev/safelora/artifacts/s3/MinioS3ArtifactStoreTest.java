package dev.safelora.artifacts.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.files.Digests;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * The s3 store against MinIO in a container, where a Docker engine exists (skipped, not failed, where none
 * does). MinIO keeps S3's checksums, which S3Proxy does not: the store's integrity checks use them here.
 */
@Testcontainers(disabledWithoutDocker = true)
class MinioS3ArtifactStoreTest {

    @Container
    static final MinIOContainer MINIO = new MinIOContainer("minio/minio:RELEASE.2023-09-04T19-57-37Z");

    private static FaultInjectingProxy proxy;
    private static S3ArtifactStore store;
    private static S3AsyncClient direct;
    @TempDir static Path work;
    @TempDir Path tmp;

    @BeforeAll
    static void start() throws Exception {
        URI endpoint = URI.create(MINIO.getS3URL());
        proxy = new FaultInjectingProxy(endpoint.getPort());
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(MINIO.getUserName(), MINIO.getPassword()));
        direct = S3AsyncClient.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(credentials).build();
        direct.createBucket(b -> b.bucket("artifacts")).join();
        store = new S3ArtifactStore(S3Settings.compatible(URI.create("http://127.0.0.1:" + proxy.port()), credentials)
                .withPartSize(S3Settings.MIN_PART_SIZE), work.resolve("cache"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (store != null) {
            store.close();
            direct.close();
            proxy.close();
        }
    }

    private static HeadObjectResponse head(String key) {
        return direct.headObject(h -> h.bucket("artifacts").key(key).checksumMode(ChecksumMode.ENABLED)).join();
    }

    @Test
    void fileRoundTripKeepsS3sOwnSha256() throws Exception {
        byte[] bytes = "weights".getBytes(StandardCharsets.UTF_8);
        URI uri = URI.create("s3://artifacts/models/a.safetensors");
        String digest = store.put(Files.write(tmp.resolve("a.safetensors"), bytes), uri);
        assertThat(digest).isEqualTo(Digests.sha256Hex(bytes));
        assertThat(head("models/a.safetensors").checksumSHA256()).isEqualTo(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(digest)));
        assertThat(Files.readAllBytes(store.open(uri))).isEqualTo(bytes);
        assertThat(store.list(URI.create("s3://artifacts/models"))).containsExactly(uri);
    }

    @Test
    void withoutOurMetadataTheDigestComesFromS3sChecksumWithoutADownload() throws Exception {
        byte[] bytes = "from another tool".getBytes(StandardCharsets.UTF_8);
        String sha = Digests.sha256Hex(bytes);
        direct.putObject(p -> p.bucket("artifacts").key("foreign/b.bin")
                .checksumSHA256(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha))), AsyncRequestBody.fromBytes(bytes)).join();
        proxy.requests.clear();
        assertThat(store.sha256(URI.create("s3://artifacts/foreign/b.bin"))).isEqualTo(sha);
        assertThat(proxy.count("GET", "/artifacts/foreign/b.bin")).isZero();
    }

    @Test
    void directoriesAndMultipartObjects() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("adapter"));
        Files.writeString(dir.resolve("adapter_config.json"), "{\"r\":8}");
        byte[] big = new byte[(int) (2 * S3Settings.MIN_PART_SIZE + 777)];
        new Random(3).nextBytes(big);
        Files.write(dir.resolve("adapter_model.safetensors"), big);
        URI uri = URI.create("s3://artifacts/adapters/r1");

        String digest = store.put(dir, uri);
        assertThat(digest).isEqualTo(Digests.directorySha256(dir));
        assertThat(proxy.count("PUT", "/artifacts/adapters/r1/adapter_model.safetensors?partNumber=")).isEqualTo(3);
        assertThat(Digests.directorySha256(store.get(uri, tmp.resolve("back")))).isEqualTo(digest);
        assertThat(store.delete(uri)).isTrue();
        assertThatThrownBy(() -> store.open(uri)).isInstanceOf(NoSuchFileException.class);
    }
}
