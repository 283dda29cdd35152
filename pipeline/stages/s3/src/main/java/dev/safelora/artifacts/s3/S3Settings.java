package dev.safelora.artifacts.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * How the s3 store reaches its object store. Immutable; {@link #fromEnv} reads it the way the AWS tools do.
 *
 * @param endpoint     a custom endpoint for S3-compatible stores (MinIO, Ceph, S3Proxy), e.g.
 *                     {@code http://minio:9000}; empty for AWS, whose endpoint the SDK derives from the region
 * @param region       signing region (MinIO and Ceph accept {@code us-east-1})
 * @param pathStyle    true for {@code endpoint/bucket/key} (MinIO, Ceph), false for {@code bucket.endpoint/key}
 * @param credentials  where credentials come from; {@link DefaultCredentialsProvider} (environment, system
 *                     properties, web identity / IRSA, profiles, container and instance credentials, refreshed
 *                     before they expire) unless given
 * @param maxAttempts  attempts per call under the SDK's standard retry strategy (throttling, 5xx, I/O errors)
 * @param retryBaseDelay base of the SDK's exponential backoff with jitter between attempts
 * @param partSize     objects larger than this go up as multipart uploads in parts of this size (S3: at least
 *                     5 MiB, at most 10,000 parts); a failed multipart upload is aborted
 * @param callTimeout  limit for one whole call, retries included
 * @param listPageSize keys per ListObjectsV2 page (S3 answers at most 1000)
 */
public record S3Settings(Optional<URI> endpoint, String region, boolean pathStyle, AwsCredentialsProvider credentials,
                         int maxAttempts, Duration retryBaseDelay, long partSize, Duration callTimeout, int listPageSize) {

    public static final long MIN_PART_SIZE = 5L << 20;
    public static final long DEFAULT_PART_SIZE = 64L << 20;
    public static final int DEFAULT_MAX_ATTEMPTS = 4;

    public S3Settings {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(retryBaseDelay, "retryBaseDelay");
        Objects.requireNonNull(callTimeout, "callTimeout");
        if (region == null || region.isBlank()) {
            throw new IllegalArgumentException("S3 region is empty");
        }
        endpoint.ifPresent(e -> {
            if (!"http".equals(e.getScheme()) && !"https".equals(e.getScheme()) || e.getHost() == null) {
                throw new IllegalArgumentException("S3 endpoint must be an http:// or https:// URL, got: " + e);
            }
            if (e.getRawUserInfo() != null) {
                throw new IllegalArgumentException("S3 endpoint must not carry credentials (use the AWS credentials chain)");
            }
        });
        if (maxAttempts < 1 || maxAttempts > 20) {
            throw new IllegalArgumentException("S3 max attempts must be between 1 and 20, got " + maxAttempts);
        }
        if (partSize < MIN_PART_SIZE || partSize > (5L << 30)) {
            throw new IllegalArgumentException("S3 part size must be between 5 MiB and 5 GiB, got " + partSize + " bytes");
        }
        if (listPageSize < 1 || listPageSize > 1000) {
            throw new IllegalArgumentException("S3 list page size must be between 1 and 1000, got " + listPageSize);
        }
    }

    /** AWS in {@code region} with the default credentials chain and the defaults above. */
    public static S3Settings aws(String region) {
        return new S3Settings(Optional.empty(), region, false, DefaultCredentialsProvider.builder().build(), DEFAULT_MAX_ATTEMPTS,
                Duration.ofMillis(100), DEFAULT_PART_SIZE, Duration.ofMinutes(30), 1000);
    }

    /** An S3-compatible store at {@code endpoint}, path style, with these credentials. */
    public static S3Settings compatible(URI endpoint, AwsCredentialsProvider credentials) {
        return aws("us-east-1").withEndpoint(endpoint, true).withCredentials(credentials);
    }

    public S3Settings withEndpoint(URI endpoint, boolean pathStyle) {
        return new S3Settings(Optional.of(endpoint), region, pathStyle, credentials, maxAttempts, retryBaseDelay, partSize, callTimeout, listPageSize);
    }

    public S3Settings withCredentials(AwsCredentialsProvider credentials) {
        return new S3Settings(endpoint, region, pathStyle, credentials, maxAttempts, retryBaseDelay, partSize, callTimeout, listPageSize);
    }

    public S3Settings withRetries(int maxAttempts, Duration retryBaseDelay) {
        return new S3Settings(endpoint, region, pathStyle, credentials, maxAttempts, retryBaseDelay, partSize, callTimeout, listPageSize);
    }

    public S3Settings withPartSize(long partSize) {
        return new S3Settings(endpoint, region, pathStyle, credentials, maxAttempts, retryBaseDelay, partSize, callTimeout, listPageSize);
    }

    public S3Settings withListPageSize(int listPageSize) {
        return new S3Settings(endpoint, region, pathStyle, credentials, maxAttempts, retryBaseDelay, partSize, callTimeout, listPageSize);
    }

    /**
     * From the environment:
     * <ul>
     *   <li>{@code AWS_REGION} (or {@code AWS_DEFAULT_REGION}; default {@code us-east-1});</li>
     *   <li>{@code AWS_ENDPOINT_URL_S3} (or {@code AWS_ENDPOINT_URL}) for an S3-compatible store;</li>
     *   <li>{@code SAFELORA_S3_PATH_STYLE} (true/false; default true when the endpoint is set, as MinIO and Ceph
     *       usually need);</li>
     *   <li>{@code SAFELORA_S3_MAX_ATTEMPTS} (default 4), {@code SAFELORA_S3_PART_SIZE_MB} (default 64, at least 5);</li>
     *   <li>credentials: {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}/{@code AWS_SESSION_TOKEN} when
     *       {@code env} has them, else the SDK's default chain (which reads the process environment itself, then
     *       web identity, profiles, container and instance credentials).</li>
     * </ul>
     */
    public static S3Settings fromEnv(Map<String, String> env) {
        String region = firstNonBlank(env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION")).orElse("us-east-1");
        S3Settings s = aws(region).withCredentials(credentialsFrom(env));
        Optional<String> endpoint = firstNonBlank(env.get("AWS_ENDPOINT_URL_S3"), env.get("AWS_ENDPOINT_URL"));
        boolean pathStyle = Optional.ofNullable(env.get("SAFELORA_S3_PATH_STYLE")).filter(v -> !v.isBlank())
                .map(v -> parseBoolean("SAFELORA_S3_PATH_STYLE", v)).orElse(endpoint.isPresent());
        if (endpoint.isPresent()) {
            URI uri;
            try {
                uri = URI.create(endpoint.get());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("AWS_ENDPOINT_URL_S3 is not a URL: " + e.getMessage());
            }
            s = s.withEndpoint(uri, pathStyle);
        } else {
            s = new S3Settings(Optional.empty(), region, pathStyle, s.credentials(), s.maxAttempts(), s.retryBaseDelay(),
                    s.partSize(), s.callTimeout(), s.listPageSize());
        }
        String attempts = env.get("SAFELORA_S3_MAX_ATTEMPTS");
        if (attempts != null && !attempts.isBlank()) {
            s = s.withRetries(parseInt("SAFELORA_S3_MAX_ATTEMPTS", attempts), s.retryBaseDelay());
        }
        String part = env.get("SAFELORA_S3_PART_SIZE_MB");
        if (part != null && !part.isBlank()) {
            s = s.withPartSize((long) parseInt("SAFELORA_S3_PART_SIZE_MB", part) << 20);
        }
        return s;
    }

    private static AwsCredentialsProvider credentialsFrom(Map<String, String> env) {
        String id = env.get("AWS_ACCESS_KEY_ID");
        String secret = env.get("AWS_SECRET_ACCESS_KEY");
        if (id == null || id.isBlank() || secret == null || secret.isBlank()) {
            return DefaultCredentialsProvider.builder().build();
        }
        String token = env.get("AWS_SESSION_TOKEN");
        return StaticCredentialsProvider.create(token == null || token.isBlank()
                ? AwsBasicCredentials.create(id, secret) : AwsSessionCredentials.create(id, secret, token));
    }

    private static boolean parseBoolean(String name, String v) {
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, got '" + v + "'");
        };
    }

    private static int parseInt(String name, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + v + "'");
        }
    }

    private static Optional<String> firstNonBlank(String a, String b) {
        if (a != null && !a.isBlank()) {
            return Optional.of(a.trim());
        }
        return b != null && !b.isBlank() ? Optional.of(b.trim()) : Optional.empty();
    }

    @Override
    public String toString() {
        return "S3Settings[endpoint=" + endpoint.map(URI::toString).orElse("aws") + ", region=" + region + ", pathStyle=" + pathStyle
                + ", credentials=" + credentials.getClass().getSimpleName() + ", maxAttempts=" + maxAttempts + ", partSize=" + partSize + "]";
    }
}
