package dev.safelora.registry;

import dev.safelora.retry.Backoff;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to reach a schema registry.
 *
 * @param url            base URL, e.g. {@code http://localhost:8081}
 * @param userInfo       {@code user:password} for HTTP basic auth, or null
 * @param tls            trust and key material for https, or null for the JVM default
 * @param connectTimeout TCP connect timeout per attempt
 * @param requestTimeout whole-request timeout per attempt
 * @param maxAttempts    attempts in all (1 = no retry) for connect errors, timeouts and 5xx; never for 4xx
 * @param initialBackoff longest wait before the second attempt; doubled each time up to {@code maxBackoff}, jittered ({@link Backoff})
 * @param maxBackoff     the longest wait between attempts
 */
public record RegistryClientConfig(
        String url, String userInfo, TlsSettings tls,
        Duration connectTimeout, Duration requestTimeout,
        int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

    public static final String URL = "schema.registry.url";
    public static final String USER_INFO = "basic.auth.user.info";
    public static final String CONNECT_TIMEOUT_MS = "schema.registry.connect.timeout.ms";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String MAX_ATTEMPTS = "schema.registry.max.attempts";
    public static final String RETRY_BACKOFF_MS = "schema.registry.retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "schema.registry.retry.backoff.max.ms";
    public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String SSL_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    public static final String SSL_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    public static final String SSL_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    public static final String SSL_KEY_PASSWORD = "schema.registry.ssl.key.password";

    public RegistryClientConfig {
        Objects.requireNonNull(url, "url");
        URI parsed;
        try {
            parsed = URI.create(url.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("schema registry URL '" + url + "' is not a URL", e);
        }
        if (!"http".equals(parsed.getScheme()) && !"https".equals(parsed.getScheme()) || parsed.getHost() == null) {
            throw new IllegalArgumentException("schema registry URL '" + url + "' must be http://host:port or https://host:port");
        }
        url = url.strip().replaceAll("/+$", "");
        if (userInfo != null && (userInfo.isBlank() || !userInfo.contains(":"))) {
            throw new IllegalArgumentException("basic auth user info must be 'user:password'");
        }
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
    }

    /** 5 s connect, 30 s request, 4 attempts with 200 ms, 400 ms, 800 ms between them. */
    public static RegistryClientConfig of(String url) {
        return new RegistryClientConfig(url, null, null, Duration.ofSeconds(5), Duration.ofSeconds(30),
                4, Duration.ofMillis(200), Duration.ofSeconds(5));
    }

    /**
     * From Kafka-style properties ({@value #URL}, {@value #USER_INFO}, {@code schema.registry.ssl.*},
     * timeouts and retries); anything absent keeps the {@link #of} default.
     */
    public static RegistryClientConfig fromProperties(Map<String, ?> props) {
        Object url = props.get(URL);
        if (url == null || url.toString().isBlank()) {
            throw new IllegalArgumentException("missing '" + URL + "' (the schema registry's base URL)");
        }
        // Confluent allows a comma-separated list; this client talks to the first.
        RegistryClientConfig base = of(url.toString().split(",")[0]);
        TlsSettings tls = null;
        if (props.get(SSL_TRUSTSTORE_LOCATION) != null || props.get(SSL_KEYSTORE_LOCATION) != null) {
            tls = new TlsSettings(path(props.get(SSL_TRUSTSTORE_LOCATION)), str(props.get(SSL_TRUSTSTORE_PASSWORD)),
                    str(props.get(SSL_TRUSTSTORE_TYPE)), path(props.get(SSL_KEYSTORE_LOCATION)),
                    str(props.get(SSL_KEYSTORE_PASSWORD)), str(props.get(SSL_KEYSTORE_TYPE)), str(props.get(SSL_KEY_PASSWORD)));
        }
        return new RegistryClientConfig(base.url(), str(props.get(USER_INFO)), tls,
                millis(props, CONNECT_TIMEOUT_MS, base.connectTimeout()),
                millis(props, REQUEST_TIMEOUT_MS, base.requestTimeout()),
                props.get(MAX_ATTEMPTS) == null ? base.maxAttempts() : intValue(props, MAX_ATTEMPTS),
                millis(props, RETRY_BACKOFF_MS, base.initialBackoff()),
                millis(props, RETRY_BACKOFF_MAX_MS, base.maxBackoff()));
    }

    public RegistryClientConfig withUrl(String newUrl) {
        return new RegistryClientConfig(newUrl, userInfo, tls, connectTimeout, requestTimeout, maxAttempts, initialBackoff, maxBackoff);
    }

    public RegistryClientConfig withUserInfo(String info) {
        return new RegistryClientConfig(url, info, tls, connectTimeout, requestTimeout, maxAttempts, initialBackoff, maxBackoff);
    }

    public RegistryClientConfig withTls(TlsSettings settings) {
        return new RegistryClientConfig(url, userInfo, settings, connectTimeout, requestTimeout, maxAttempts, initialBackoff, maxBackoff);
    }

    public RegistryClientConfig withRetries(int attempts, Duration initial, Duration max) {
        return new RegistryClientConfig(url, userInfo, tls, connectTimeout, requestTimeout, attempts, initial, max);
    }

    public RegistryClientConfig withTimeouts(Duration connect, Duration request) {
        return new RegistryClientConfig(url, userInfo, tls, connect, request, maxAttempts, initialBackoff, maxBackoff);
    }

    /** The retry policy: {@code maxAttempts}, exponential from {@code initialBackoff} to {@code maxBackoff}, jittered. */
    public Backoff backoff() {
        return Backoff.exponential(initialBackoff, maxBackoff.compareTo(initialBackoff) < 0 ? initialBackoff : maxBackoff, maxAttempts);
    }

    /** The longest wait after failed attempt number {@code attempt} (1-based); the actual wait is jittered below it. */
    public Duration backoffAfter(int attempt) {
        return backoff().ceiling(attempt);
    }

    @Override
    public String toString() {
        return "RegistryClientConfig[url=" + url + ", basicAuth=" + (userInfo != null) + ", tls=" + tls
                + ", maxAttempts=" + maxAttempts + "]";
    }

    private static String str(Object value) {
        return value == null || value.toString().isBlank() ? null : value.toString();
    }

    private static Path path(Object value) {
        String s = str(value);
        return s == null ? null : Path.of(s);
    }

    private static int intValue(Map<String, ?> props, String key) {
        try {
            return Integer.parseInt(props.get(key).toString().strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + key + "' must be an integer, got '" + props.get(key) + "'", e);
        }
    }

    private static Duration millis(Map<String, ?> props, String key, Duration fallback) {
        return props.get(key) == null ? fallback : Duration.ofMillis(intValue(props, key));
    }
}
