package dev.safelora.artifacts.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

class S3SettingsTest {

    @Test
    void anEndpointMeansAnS3CompatibleStoreWithPathStyle() {
        S3Settings minio = S3Settings.fromEnv(Map.of("AWS_ENDPOINT_URL_S3", "http://minio:9000"));
        assertThat(minio.endpoint()).contains(URI.create("http://minio:9000"));
        assertThat(minio.pathStyle()).isTrue();
        assertThat(minio.region()).isEqualTo("us-east-1");
        assertThat(minio.credentials()).as("no keys in env: the SDK's default chain").isInstanceOf(DefaultCredentialsProvider.class);
        assertThat(minio.maxAttempts()).isEqualTo(4);
        assertThat(minio.partSize()).isEqualTo(64L << 20);

        assertThat(S3Settings.fromEnv(Map.of("AWS_ENDPOINT_URL", "http://ceph:7480", "SAFELORA_S3_PATH_STYLE", "false")).pathStyle()).isFalse();
    }

    @Test
    void awsByRegionWithKeysRetriesAndPartSizeFromTheEnvironment() {
        S3Settings aws = S3Settings.fromEnv(Map.of("AWS_ACCESS_KEY_ID", "id", "AWS_SECRET_ACCESS_KEY", "sk", "AWS_SESSION_TOKEN", "t",
                "AWS_REGION", "ap-south-1", "SAFELORA_S3_MAX_ATTEMPTS", "7", "SAFELORA_S3_PART_SIZE_MB", "16"));
        assertThat(aws.endpoint()).isEmpty();
        assertThat(aws.pathStyle()).isFalse();
        assertThat(aws.region()).isEqualTo("ap-south-1");
        assertThat(aws.maxAttempts()).isEqualTo(7);
        assertThat(aws.partSize()).isEqualTo(16L << 20);
        assertThat(aws.credentials()).isInstanceOf(StaticCredentialsProvider.class);
        assertThat(aws.credentials().resolveCredentials()).isInstanceOfSatisfying(AwsSessionCredentials.class,
                c -> assertThat(c.sessionToken()).isEqualTo("t"));
        assertThat(aws.toString()).doesNotContain("sk");
    }

    @Test
    void badValuesAreOneLineNamingTheSetting() {
        assertThatThrownBy(() -> S3Settings.fromEnv(Map.of("SAFELORA_S3_PART_SIZE_MB", "1"))).hasMessageContaining("part size must be between 5 MiB");
        assertThatThrownBy(() -> S3Settings.fromEnv(Map.of("SAFELORA_S3_MAX_ATTEMPTS", "many"))).hasMessage("SAFELORA_S3_MAX_ATTEMPTS must be a whole number, got 'many'");
        assertThatThrownBy(() -> S3Settings.fromEnv(Map.of("SAFELORA_S3_MAX_ATTEMPTS", "0"))).hasMessageContaining("between 1 and 20");
        assertThatThrownBy(() -> S3Settings.fromEnv(Map.of("SAFELORA_S3_PATH_STYLE", "maybe"))).hasMessageContaining("SAFELORA_S3_PATH_STYLE must be true or false");
        assertThatThrownBy(() -> S3Settings.fromEnv(Map.of("AWS_ENDPOINT_URL_S3", "ftp://x"))).hasMessageContaining("http:// or https://");
        assertThatThrownBy(() -> S3Settings.fromEnv(Map.of("AWS_ENDPOINT_URL_S3", "http://u:p@minio:9000")))
                .hasMessageContaining("must not carry credentials").hasMessageNotContaining("u:p");
    }
}
