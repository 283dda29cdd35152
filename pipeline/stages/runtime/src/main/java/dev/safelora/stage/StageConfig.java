package dev.safelora.stage;

import dev.safelora.kafka.ClientSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A stage's configuration, immutable: the cluster ({@link ClientSettings}: bootstrap servers, schema
 * registry, SASL/TLS, any Kafka client property) plus the stage's own settings. {@link #load} reads, later
 * sources winning: defaults, an optional properties file, the environment.
 *
 * <p>Cluster keys in the file and environment are those of {@link ClientSettings#load} (e.g.
 * {@code bootstrap.servers}, {@code schema.registry.url}, {@code security.protocol},
 * SAFELORA_BOOTSTRAP_SERVERS, SAFELORA_REGISTRY_URL, SAFELORA_KAFKA_&lt;PROPERTY&gt;). A Kafka property for
 * one client only is written {@code consumer.<property>} or {@code producer.<property>}
 * (SAFELORA_KAFKA_CONSUMER_MAX_POLL_INTERVAL_MS). Stage keys carry the {@code stage.} prefix in the file,
 * so they never reach the Kafka clients:
 *
 * <table>
 *   <caption>stage keys</caption>
 *   <tr><th>file</th><th>environment</th><th>default</th></tr>
 *   <tr><td>stage.group.id</td><td>SAFELORA_GROUP_ID</td><td>safelora-&lt;stage&gt;</td></tr>
 *   <tr><td>stage.topics</td><td>SAFELORA_TOPICS</td><td>the stage's own input topics</td></tr>
 *   <tr><td>stage.metrics.port</td><td>SAFELORA_METRICS_PORT</td><td>9404 (0 = any free port)</td></tr>
 *   <tr><td>stage.work.dir</td><td>SAFELORA_WORK_DIR</td><td>./safelora-work</td></tr>
 *   <tr><td>stage.shutdown.deadline</td><td>SAFELORA_SHUTDOWN_DEADLINE</td><td>60s</td></tr>
 *   <tr><td>stage.shutdown.cancel.grace</td><td>SAFELORA_SHUTDOWN_CANCEL_GRACE</td><td>10s</td></tr>
 *   <tr><td>stage.poll.timeout</td><td>SAFELORA_POLL_TIMEOUT</td><td>250ms</td></tr>
 *   <tr><td>stage.retry.backoff.initial / .max</td><td>SAFELORA_RETRY_BACKOFF_INITIAL / _MAX</td><td>500ms / 30s</td></tr>
 *   <tr><td>stage.max.attempts</td><td>SAFELORA_MAX_ATTEMPTS</td><td>3 (unexpected errors; transient ones retry until they pass)</td></tr>
 *   <tr><td>stage.max.concurrent.jobs</td><td>SAFELORA_MAX_CONCURRENT_JOBS</td><td>1</td></tr>
 *   <tr><td>stage.health.stale.after</td><td>SAFELORA_HEALTH_STALE_AFTER</td><td>30s</td></tr>
 *   <tr><td>stage.exactly.once</td><td>SAFELORA_EXACTLY_ONCE</td><td>false (LongJobLoop: outputs and offset in one
 *       Kafka transaction)</td></tr>
 *   <tr><td>stage.instance.id</td><td>SAFELORA_INSTANCE_ID</td><td>the host name (names the transactional id; give each
 *       process of one stage on one host its own, stable across its restarts)</td></tr>
 *   <tr><td>stage.artifacts.uri</td><td>SAFELORA_ARTIFACTS_URI</td><td>file://&lt;work dir&gt;/artifacts (read by the
 *       planner and the worker stages)</td></tr>
 *   <tr><td>stage.&lt;anything else&gt;</td><td>-</td><td>kept in {@link #settings()} for the stage itself</td></tr>
 * </table>
 * Durations are {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, plain milliseconds, or
 * ISO-8601 ({@code PT1M}).
 */
public record StageConfig(
        String stageName,
        ClientSettings client,
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
        boolean exactlyOnce,
        Map<String, String> settings) {

    public static final int DEFAULT_METRICS_PORT = 9404;
    /** Default of {@code stage.shutdown.deadline}: how long running jobs may go on after SIGTERM. */
    public static final Duration DEFAULT_SHUTDOWN_DEADLINE = Duration.ofSeconds(60);
    /** Default of {@code stage.shutdown.cancel.grace}: how long a cancelled job has to return (and checkpoint). */
    public static final Duration DEFAULT_SHUTDOWN_CANCEL_GRACE = Duration.ofSeconds(10);
    /** What {@link StageProcess#close} allows past deadline and cancel grace for the loops to close their clients. */
    public static final Duration SHUTDOWN_CLOSE_SLACK = Duration.ofSeconds(10);
    public static final String PREFIX = "stage.";

    /** The stage keys the environment can set, as SAFELORA_&lt;KEY with dots as underscores&gt;. */
    private static final List<String> ENV_KEYS = List.of("group.id", "topics", "metrics.port", "work.dir",
            "shutdown.deadline", "shutdown.cancel.grace", "poll.timeout", "retry.backoff.initial", "retry.backoff.max",
            "max.attempts", "max.concurrent.jobs", "health.stale.after", "exactly.once",
            // the worker stages write under it and the planner derives the jobs' outputUri from it
            "artifacts.uri", "instance.id");

    public StageConfig {
        requireText(stageName, "stage name");
        Objects.requireNonNull(client, "client settings");
        requireText(groupId, "stage.group.id (SAFELORA_GROUP_ID)");
        inputTopics = List.copyOf(inputTopics);
        if (inputTopics.isEmpty() || inputTopics.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("stage.topics (SAFELORA_TOPICS) must name at least one topic, got " + inputTopics);
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new IllegalArgumentException("stage.metrics.port (SAFELORA_METRICS_PORT) must be 0..65535, got " + metricsPort);
        }
        Objects.requireNonNull(workDir, "workDir");
        requirePositive(shutdownDeadline, "stage.shutdown.deadline");
        requirePositive(shutdownCancelGrace, "stage.shutdown.cancel.grace");
        requirePositive(pollTimeout, "stage.poll.timeout");
        requirePositive(retryBackoffInitial, "stage.retry.backoff.initial");
        requirePositive(retryBackoffMax, "stage.retry.backoff.max");
        requirePositive(healthStaleAfter, "stage.health.stale.after");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("stage.max.attempts must be at least 1, got " + maxAttempts);
        }
        if (maxConcurrentJobs < 1) {
            throw new IllegalArgumentException("stage.max.concurrent.jobs must be at least 1, got " + maxConcurrentJobs);
        }
        settings = Map.copyOf(settings);
    }

    /**
     * Loads the configuration of stage {@code stageName}.
     *
     * @param defaultTopics the stage's input topics unless {@code stage.topics} overrides them
     * @param file          a properties file, or null
     * @param env           the environment, normally {@code System.getenv()}
     */
    public static StageConfig load(String stageName, List<String> defaultTopics, Path file, Map<String, String> env) {
        ClientSettings loaded = ClientSettings.load(Optional.ofNullable(file), env);
        Map<String, String> stage = new TreeMap<>();
        Map<String, String> kafka = new TreeMap<>();
        loaded.kafka().forEach((k, v) -> {
            if (k.startsWith(PREFIX)) {
                stage.put(k.substring(PREFIX.length()), v);
            } else {
                kafka.put(k, v);
            }
        });
        for (String key : ENV_KEYS) {
            String value = env.get("SAFELORA_" + key.toUpperCase(Locale.ROOT).replace('.', '_'));
            if (value != null && !value.isBlank()) {
                stage.put(key, value.strip());
            }
        }
        stage.putIfAbsent("topics", String.join(",", defaultTopics));
        return of(stageName, new ClientSettings(loaded.bootstrapServers(), loaded.registry(), kafka), stage);
    }

    /** From cluster settings and stage keys (without the {@code stage.} prefix); absent keys take their defaults. */
    public static StageConfig of(String stageName, ClientSettings client, Map<String, String> p) {
        return new StageConfig(
                stageName,
                client,
                p.getOrDefault("group.id", "safelora-" + stageName),
                Arrays.stream(p.getOrDefault("topics", "").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList(),
                integer(p, "metrics.port", DEFAULT_METRICS_PORT),
                Path.of(p.getOrDefault("work.dir", "safelora-work")),
                duration(p, "shutdown.deadline", DEFAULT_SHUTDOWN_DEADLINE.toSeconds() + "s"),
                duration(p, "shutdown.cancel.grace", DEFAULT_SHUTDOWN_CANCEL_GRACE.toSeconds() + "s"),
                duration(p, "poll.timeout", "250ms"),
                duration(p, "retry.backoff.initial", "500ms"),
                duration(p, "retry.backoff.max", "30s"),
                integer(p, "max.attempts", 3),
                integer(p, "max.concurrent.jobs", 1),
                duration(p, "health.stale.after", "30s"),
                bool(p, "exactly.once", false),
                p);
    }

    /**
     * The {@code stage.} keys given that neither this class nor the stage itself ({@code stageKeys}) reads, sorted:
     * a typo there ({@code stage.artifact.uri}) would otherwise fall back to a default without a word.
     */
    public List<String> unknownSettings(java.util.Collection<String> stageKeys) {
        return settings.keySet().stream().filter(k -> !ENV_KEYS.contains(k) && !stageKeys.contains(k)).sorted().toList();
    }

    /**
     * The longest a stage process takes from SIGTERM to exit: {@code shutdown.deadline} for running jobs, then
     * {@code shutdown.cancel.grace} for cancelled ones, then {@link #SHUTDOWN_CLOSE_SLACK}. A pod's
     * {@code terminationGracePeriodSeconds} must be at least this (k8s/, checked by the deployment tests).
     */
    public Duration shutdownBudget() {
        return shutdownDeadline.plus(shutdownCancelGrace).plus(SHUTDOWN_CLOSE_SLACK);
    }

    /** A copy reading other input topics (the demo and tests wire stages to their own topics). */
    /**
     * The retry policy of the loop: waits from {@code stage.retry.backoff.initial} doubling to
     * {@code stage.retry.backoff.max}, jittered; {@code stage.max.attempts} bounds the unexpected failures of a record.
     */
    public dev.safelora.retry.Backoff backoff() {
        Duration max = retryBackoffMax.compareTo(retryBackoffInitial) < 0 ? retryBackoffInitial : retryBackoffMax;
        return dev.safelora.retry.Backoff.exponential(retryBackoffInitial, max, maxAttempts);
    }

    public StageConfig withInputTopics(List<String> topics) {
        return new StageConfig(stageName, client, groupId, topics, metricsPort, workDir, shutdownDeadline,
                shutdownCancelGrace, pollTimeout, retryBackoffInitial, retryBackoffMax, maxAttempts, maxConcurrentJobs,
                healthStaleAfter, exactlyOnce, settings);
    }

    /** A copy with another metrics port (several stages in one process share one server or use 0). */
    public StageConfig withMetricsPort(int port) {
        return new StageConfig(stageName, client, groupId, inputTopics, port, workDir, shutdownDeadline,
                shutdownCancelGrace, pollTimeout, retryBackoffInitial, retryBackoffMax, maxAttempts, maxConcurrentJobs,
                healthStaleAfter, exactlyOnce, settings);
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
        return parseDuration(PREFIX + key, p.getOrDefault(key, fallback));
    }

    private static int integer(Map<String, String> p, String key, int fallback) {
        String v = p.get(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + " must be a whole number, got '" + v + "'");
        }
    }

    private static boolean bool(Map<String, String> p, String key, boolean fallback) {
        String v = p.get(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException(PREFIX + key + " must be true or false, got '" + v + "'");
        };
    }

    /**
     * Root of the artifact store ({@code stage.artifacts.uri}, default {@code file://<work dir>/artifacts}): the
     * worker stages write under it and the planner derives every job's {@code outputUri} from it, so both read it here.
     */
    public URI artifactsRoot() {
        String root = settings.getOrDefault("artifacts.uri", "").strip();
        if (root.isEmpty()) {
            return workDir.toAbsolutePath().normalize().resolve("artifacts").toUri();
        }
        URI uri;
        try {
            uri = URI.create(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFIX + "artifacts.uri (SAFELORA_ARTIFACTS_URI) is not a URI: " + root);
        }
        if (uri.getScheme() == null) {
            throw new IllegalArgumentException(PREFIX + "artifacts.uri (SAFELORA_ARTIFACTS_URI) needs a scheme (file:///... or s3://...), got " + root);
        }
        return uri;
    }

    /** Exactly-once output unless {@code stage.exactly.once} was given: the default of the stages that publish adapters. */
    public StageConfig exactlyOnceUnlessSet() {
        return settings.containsKey("exactly.once") ? this : withExactlyOnce(true);
    }

    /** A copy with exactly-once output on or off (see {@link LongJobLoop}). */
    public StageConfig withExactlyOnce(boolean enabled) {
        return new StageConfig(stageName, client, groupId, inputTopics, metricsPort, workDir, shutdownDeadline,
                shutdownCancelGrace, pollTimeout, retryBackoffInitial, retryBackoffMax, maxAttempts, maxConcurrentJobs,
                healthStaleAfter, enabled, settings);
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

}
