package dev.safelora.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class S3LocationTest {

    @Test
    void parsesBucketAndKeyAndRoundTrips() {
        S3Location loc = S3Location.parse("s3://my-bucket.eu/reports/req%201/report.json");
        assertThat(loc).isEqualTo(new S3Location("my-bucket.eu", "reports/req 1/report.json"));
        assertThat(loc.name()).isEqualTo("report.json");
        assertThat(loc.toUri()).isEqualTo(URI.create("s3://my-bucket.eu/reports/req%201/report.json"));
        assertThat(S3Location.parse(loc.toUri())).isEqualTo(loc);
        assertThat(S3Location.parse("s3://bkt/prefix/")).isEqualTo(new S3Location("bkt", "prefix"));
        assertThat(S3Location.parse("s3://bkt")).isEqualTo(new S3Location("bkt", ""));
        assertThat(new S3Location("bkt", "a/b").toPrefixUri()).isEqualTo(URI.create("s3://bkt/a/b/"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "s3://user:pw@bucket/k          | carries user information",
            "s3://bucket:99/k               | names a port",
            "s3://bucket/a/../../b          | dot segment ('..')",
            "s3://bucket/a/./b              | dot segment ('.')",
            "s3://bucket/a/%2e%2e/b         | dot segment ('%2e%2e')",
            "s3://bucket/a/%2E./b           | dot segment ('%2E.')",
            "s3://bucket/k?versionId=3      | has a query",
            "s3://bucket/k#frag             | has a fragment",
            "s3://bucket/a//b               | empty key segment",
            "s3://bucket/a%2fb              | encoded '/'",
            "s3://bucket/a%5c..             | encoded '/'",
            "s3://bucket/a%00b              | encoded '/'",
            "s3://bucket/a%0Ab              | control character",
            "s3://Bucket/k                  | not a valid bucket name",
            "s3://b/k                       | not a valid bucket name",
            "s3://bu..cket/k                | not a valid bucket name",
            "s3:///k                        | has no bucket",
            "file:///k                      | not an s3:// URI",
    })
    void refusesWithOneLineNamingTheRule(String uri, String reason) {
        assertThatThrownBy(() -> S3Location.parse(uri))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason)
                .hasMessageNotContaining("pw")
                .hasMessageNotContaining("\n");
    }

    @Test
    void containsComparesBucketsAndWholeKeySegments() {
        S3Location root = S3Location.parse("s3://bkt/artifacts");
        assertThat(root.contains(S3Location.parse("s3://bkt/artifacts"))).isTrue();
        assertThat(root.contains(S3Location.parse("s3://bkt/artifacts/adapters/r1"))).isTrue();
        assertThat(root.contains(S3Location.parse("s3://bkt/artifacts-evil/x"))).isFalse();
        assertThat(root.contains(S3Location.parse("s3://bkt/other"))).isFalse();
        assertThat(root.contains(S3Location.parse("s3://bkt2/artifacts/x"))).isFalse();
        assertThat(S3Location.parse("s3://bkt").contains(S3Location.parse("s3://bkt/any/key"))).isTrue();
    }

    @Test
    void keysLongerThanS3AllowsAreRefused() {
        assertThatThrownBy(() -> new S3Location("bkt", "k".repeat(1025))).hasMessageContaining("1024 bytes");
        assertThat(new S3Location("bkt", "k".repeat(1024)).key()).hasSize(1024);
    }
}
