package dev.safelora.stage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A stage's configuration, immutable. Built by {@link #load} from defaults, then an optional properties
 * file, then the environment (each later source wins):
 *
 * <table>
 *   <caption>keys</caption>
 *   <tr><th>property</th><th>environment</th><th>default</th></tr>
 *   <tr><td>bootstrap.servers</td><td>SAFELORA_BOOTSTRAP_SERVERS</td><td>(required)</td></tr>
 *   <tr><td>schema.registry.url</td><td>SAFELORA_REGISTRY_URL</td><td>(none)</td></tr>
 *   <tr><td>group.id</td><td>SAFELORA_GROUP_ID</td><td>safelora-&lt;stage&gt;</td></tr>
 *   <tr><td>topics</td><td>SAFELORA_TOPICS</td><td>the stage's own input topics</td></tr>
 *   <tr><td>metrics.port</td><td>SAFELORA_METRICS_PORT</td><td>9404 (0 = any free port)</td></tr>
 *   <tr><td>work.dir</td><td>SAFELORA_WORK_DIR</td><td>./safelora-work</td></tr>
 *   <tr><td>shutdown.deadline</td><td>SAFELORA_SHUTDOWN_DEADLINE</td><td>60s</td></tr>
 *   <tr><td>shutdown.cancel.grace</td><td>SAFELORA_SHUTDOWN_CANCEL_GRACE</td><td>10s</td></tr>
 *   <tr><td>poll.timeout</td><td>SAFELORA_POLL_TIMEOUT</td><td>250ms</td></tr>
 *   <tr><td>retry.backoff.initial / .max</td><td>SAFELORA_RETRY_BACKOFF_INITIAL / _MAX</td><td>500ms / 30s</td></tr>
 *   <tr><td>max.attempts</td><td>SAFELORA_MAX_ATTEMPTS</td><td>3 (for unexpected errors; transient ones retry forever)</td></tr>
 *   <tr><td>max.concurrent.jobs</td><td>SAFELORA_MAX_CONCURRENT_JOBS</td><td>1</td></tr>
 *   <tr><td>health.stale.after</td><td>SAFELORA_HEALTH_STALE_AFTER</td><td>30s</td></tr>
 *   <tr><td>kafka.&lt;client property&gt;</td><td>SAFELORA_KAFKA_&lt;PROPERTY&gt; (dots as underscores)</td><td>-</td></tr>
 * </table>
 * Durations are {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, plain milliseconds, or ISO-8601
 * ({@code PT1M}). {@code kafka.*} entries (SASL, TLS, timeouts) pass to every Kafka client unchanged; any
 * other key stays available to the stage in {@link #settings()}.
 */
public record StageConfig(
        String stageName,
        String bootstrapServers,
        String registryUrl,
        String groupId,
        List<String> inputTopics,
        int metricsPort,
        Path workDir,
        Duration shutdownDeadline,
        Duration shutdownCancelGrace,
        Duration pollTimeout,
        Duration retryBackoffInitial,
        Duration retryBackoffMax,
        int maxAttempts,
        int maxConcurrentJobs,
        Duration healthStaleAfter,
        Map<String, String> kafka,
        Map<String, String> settings) {

    public static final int DEFAULT_METRICS_PORT = 9404;

    public StageConfig {
        requireText(stageName, "stage name");
        requireText(bootstrapServers, "bootstrap.servers (SAFELORA_BOOTSTRAP_SERVERS)");
        requireText(groupId, "group.id (SAFELORA_GROUP_ID)");
        inputTopics = List.copyOf(inputTopics);
        if (inputTopics.isEmpty() || inputTopics.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("topics (SAFELORA_TOPICS) must name at least one topic, got " + inputTopics);
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new IllegalArgumentException("metrics.port (SAFELORA_METRICS_PORT) must be 0..65535, got " + metricsPort);
        }
        Objects.requireNonNull(workDir, "workDir");
        requirePositive(shutdownDeadline, "shutdown.deadline");
        requirePositive(shutdownCancelGrace, "shutdown.cancel.grace");
        requirePositive(pollTimeout, "poll.timeout");
        requirePositive(retryBackoffInitial, "retry.backoff.initial");
        requirePositive(retryBackoffMax, "retry.backoff.max");
        requirePositive(healthStaleAfter, "health.stale.after");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("max.attempts must be at least 1, got " + maxAttempts);
        }
        if (maxConcurrentJobs < 1) {
            throw new IllegalArgumentException("max.concurrent.jobs must be at least 1, got " + maxConcurrentJobs);
        }
        kafka = Map.copyOf(kafka);
        settings = Map.copyOf(settings);
    }

    /**
     * Loads the configuration of stage {@code stageName}.
     *
     * @param defaultTopics the stage's input topics unless {@code topics} overrides them
     * @param file          a properties file, or null
     * @param env           the environment, normally {@code System.getenv()}
     */
    public static StageConfig load(String stageName, List<String> defaultTopics, Path file, Map<String, String> env) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("group.id", "safelora-" + stageName);
        p.put("topics", String.join(",", defaultTopics));
        p.put("metrics.port", Integer.toString(DEFAULT_METRICS_PORT));
        p.put("work.dir", "safelora-work");
        p.put("shutdown.deadline", "60s");
        p.put("shutdown.cancel.grace", "10s");
        p.put("poll.timeout", "250ms");
        p.put("retry.backoff.initial", "500ms");
        p.put("retry.backoff.max", "30s");
        p.put("max.attempts", "3");
        p.put("max.concurrent.jobs", "1");
        p.put("health.stale.after", "30s");
        if (file != null) {
            Properties props = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                props.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read stage configuration " + file + ": " + e.getMessage(), e);
            }
            props.stringPropertyNames().forEach(k -> p.put(k.trim(), props.getProperty(k).trim()));
        }
        env.forEach((name, value) -> {
            if (name.equals("SAFELORA_REGISTRY_URL")) {
                p.put("schema.registry.url", value);
            } else if (name.startsWith("SAFELORA_KAFKA_")) {
                p.put("kafka." + name.substring("SAFELORA_KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            } else if (name.startsWith("SAFELORA_")) {
                String key = name.substring("SAFELORA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
                if (p.containsKey(key) || key.equals("bootstrap.servers")) {
                    p.put(key, value);
                }
            }
        });
        return fromMap(stageName, p);
    }

    /** From already merged key/value pairs (the property names of {@link #load}). */
    public static StageConfig fromMap(String stageName, Map<String, String> p) {
        Map<String, String> kafka = new TreeMap<>();
        Map<String, String> settings = new TreeMap<>();
        p.forEach((k, v) -> {
            if (k.startsWith("kafka.")) {
                kafka.put(k.substring("kafka.".length()), v);
            } else {
                settings.put(k, v);
            }
        });
        return new StageConfig(
                stageName,
                p.get("bootstrap.servers"),
                blankToNull(p.get("schema.registry.url")),
                p.get("group.id"),
                Arrays.stream(p.getOrDefault("topics", "").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList(),
                integer(p, "metrics.port", DEFAULT_METRICS_PORT),
                Path.of(p.getOrDefault("work.dir", "safelora-work")),
                duration(p, "shutdown.deadline", "60s"),
                duration(p, "shutdown.cancel.grace", "10s"),
                duration(p, "poll.timeout", "250ms"),
                duration(p, "retry.backoff.initial", "500ms"),
                duration(p, "retry.backoff.max", "30s"),
                integer(p, "max.attempts", 3),
                integer(p, "max.concurrent.jobs", 1),
                duration(p, "health.stale.after", "30s"),
                kafka,
                settings);
    }

    /** A copy with other input topics (tests and the demo wire stages to their own topics). */
    public StageConfig withInputTopics(List<String> topics) {
        return new StageConfig(stageName, bootstrapServers, registryUrl, groupId, topics, metricsPort, workDir,
                shutdownDeadline, shutdownCancelGrace, pollTimeout, retryBackoffInitial, retryBackoffMax, maxAttempts,
                maxConcurrentJobs, healthStaleAfter, kafka, settings);
    }

    /** A copy with extra Kafka client properties (later entries win). */
    public StageConfig withKafka(Map<String, String> extra) {
        Map<String, String> merged = new TreeMap<>(kafka);
        merged.putAll(extra);
        return new StageConfig(stageName, bootstrapServers, registryUrl, groupId, inputTopics, metricsPort, workDir,
                shutdownDeadline, shutdownCancelGrace, pollTimeout, retryBackoffInitial, retryBackoffMax, maxAttempts,
                maxConcurrentJobs, healthStaleAfter, merged, settings);
    }

    /** Parses {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, plain milliseconds or ISO-8601. */
    public static Duration parseDuration(String key, String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("p")) {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            }
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
            }
            long n = s.isEmpty() ? -1 : Character.isDigit(s.charAt(s.length() - 1)) ? Long.parseLong(s) : Long.parseLong(s.substring(0, s.length() - 1).trim());
            return switch (s.charAt(s.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> Duration.ofMillis(n);
            };
        } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException(key + " must be a duration like 250ms, 30s, 5m or PT1M, got '" + text + "'");
        }
    }

    private static Duration duration(Map<String, String> p, String key, String fallback) {
        return parseDuration(key, p.getOrDefault(key, fallback));
    }

    private static int integer(Map<String, String> p, String key, int fallback) {
        String v = p.get(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + v + "'");
        }
    }

    private static void requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("stage configuration needs " + what);
        }
    }

    private static void requirePositive(Duration d, String key) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(key + " must be a positive duration, got " + d);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
