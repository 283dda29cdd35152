package dev.safelora.artifacts;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to reach an S3-compatible object store.
 *
 * @param endpoint  base URI of the service, e.g. {@code https://s3.eu-west-1.amazonaws.com} or a MinIO/Ceph
 *                  endpoint such as {@code http://minio:9000}
 * @param region    signing region (MinIO and Ceph accept {@code us-east-1})
 * @param pathStyle true for {@code endpoint/bucket/key} (MinIO, Ceph), false for {@code bucket.endpoint/key}
 * @param timeout   per request
 * @param maxAttempts attempts per request for throttling, 5xx answers and I/O errors (at least 1)
 * @param partSize  files larger than this are uploaded in parts of this size (multipart upload; S3 needs at
 *                  least 5 MiB per part and at most 10,000 parts)
 */
public record S3Settings(URI endpoint, String region, boolean pathStyle, AwsCredentials credentials,
                         Duration timeout, int maxAttempts, long partSize) {

    public static final long MIN_PART_SIZE = 5L << 20;
    public static final long DEFAULT_PART_SIZE = 64L << 20;

    /** With the default part size of 64 MiB (files up to 625 GiB). */
    public S3Settings(URI endpoint, String region, boolean pathStyle, AwsCredentials credentials, Duration timeout, int maxAttempts) {
        this(endpoint, region, pathStyle, credentials, timeout, maxAttempts, DEFAULT_PART_SIZE);
    }

    public S3Settings {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(timeout, "timeout");
        if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())) {
            throw new IllegalArgumentException("S3 endpoint must be http:// or https://, got: " + endpoint);
        }
        if (partSize < MIN_PART_SIZE || partSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("S3 part size must be between 5 MiB and 2 GiB, got " + partSize);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
    }

    /**
     * From the environment, the way the AWS tools read it: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
     * AWS_SESSION_TOKEN, AWS_REGION (or AWS_DEFAULT_REGION; default us-east-1), AWS_ENDPOINT_URL_S3 (or
     * AWS_ENDPOINT_URL) to override the endpoint, and SAFELORA_S3_PATH_STYLE (true/false; default true
     * when the endpoint is overridden, since MinIO and Ceph usually need it).
     */
    public static S3Settings fromEnv(Map<String, String> env) {
        String region = firstNonBlank(env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"), "us-east-1");
        String endpoint = firstNonBlank(env.get("AWS_ENDPOINT_URL_S3"), env.get("AWS_ENDPOINT_URL"), null);
        URI uri = endpoint != null ? URI.create(endpoint) : URI.create("https://s3." + region + ".amazonaws.com");
        String pathStyle = env.get("SAFELORA_S3_PATH_STYLE");
        boolean ps = pathStyle == null || pathStyle.isBlank() ? endpoint != null : parseBoolean(pathStyle);
        return new S3Settings(uri, region, ps, AwsCredentials.fromEnv(env), Duration.ofSeconds(60), 4);
    }

    private static boolean parseBoolean(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new IllegalArgumentException("SAFELORA_S3_PATH_STYLE must be true or false, got '" + s + "'");
        };
    }

    private static String firstNonBlank(String a, String b, String fallback) {
        if (a != null && !a.isBlank()) {
            return a.trim();
        }
        if (b != null && !b.isBlank()) {
            return b.trim();
        }
        return fallback;
    }
}
