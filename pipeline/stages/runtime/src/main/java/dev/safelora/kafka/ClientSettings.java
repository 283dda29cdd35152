package dev.safelora.kafka;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.registry.RegistryClientConfig;
import dev.safelora.serde.AvroSerdeConfig;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Everything a stage or command needs to talk to a cluster: bootstrap servers, the schema
 * registry, and the Kafka client security settings (SASL PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512,
 * TLS trust and key stores), turned into property maps for producers, consumers, admins and
 * Kafka Streams.
 *
 * <p>{@link #load} reads, later ones winning: built-in defaults ({@code localhost:9092},
 * {@code http://localhost:8081}), a properties file, then environment variables:
 * <ul>
 *   <li>{@code SAFELORA_BOOTSTRAP_SERVERS}, {@code SAFELORA_REGISTRY_URL},
 *       {@code SAFELORA_REGISTRY_USER_INFO} ({@code user:password});</li>
 *   <li>{@code SAFELORA_SECURITY_PROTOCOL}, {@code SAFELORA_SASL_MECHANISM},
 *       {@code SAFELORA_SASL_USERNAME}, {@code SAFELORA_SASL_PASSWORD} (the JAAS line is built);</li>
 *   <li>{@code SAFELORA_KAFKA_<NAME>}: any Kafka client property, {@code _} for {@code .}, e.g.
 *       {@code SAFELORA_KAFKA_SSL_TRUSTSTORE_LOCATION} is {@code ssl.truststore.location};</li>
 *   <li>{@code SAFELORA_REGISTRY_<NAME>}: a {@code schema.registry.*} setting, e.g.
 *       {@code SAFELORA_REGISTRY_SSL_TRUSTSTORE_LOCATION}.</li>
 * </ul>
 * In the file, {@code bootstrap.servers}, {@code schema.registry.url}, {@code basic.auth.user.info},
 * {@code schema.registry.*}, {@code sasl.username}/{@code sasl.password} are read as such; every
 * other key is passed to the Kafka clients unchanged.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param registry         how to reach the schema registry
 * @param kafka            further Kafka client properties (security etc.), applied to every client
 */
public record ClientSettings(String bootstrapServers, RegistryClientConfig registry, Map<String, String> kafka) {

    public static final String DEFAULT_BOOTSTRAP = "localhost:9092";
    public static final String DEFAULT_REGISTRY = "http://localhost:8081";
    public static final Set<String> SASL_MECHANISMS = Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

    private static final String SASL_USERNAME = "sasl.username";
    private static final String SASL_PASSWORD = "sasl.password";

    public ClientSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(registry, "registry");
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap servers must not be empty");
        }
        kafka = Map.copyOf(kafka);
        String mechanism = kafka.get("sasl.mechanism");
        if (mechanism != null && !SASL_MECHANISMS.contains(mechanism) && !kafka.containsKey("sasl.jaas.config")) {
            throw new IllegalArgumentException("SASL mechanism '" + mechanism + "' needs an explicit sasl.jaas.config; "
                    + "built-in JAAS lines exist for " + new java.util.TreeSet<>(SASL_MECHANISMS));
        }
    }

    /** A plaintext cluster, e.g. the one {@code dev-cluster} or the embedded demo starts. */
    public static ClientSettings plaintext(String bootstrapServers, String registryUrl) {
        return new ClientSettings(bootstrapServers, RegistryClientConfig.of(registryUrl), Map.of());
    }

    /** Defaults, then {@code file} (if given), then the process environment. */
    public static ClientSettings load(Optional<Path> file) {
        return load(file, System.getenv());
    }

    /** Defaults, then {@code file} (if given), then {@code env}. */
    public static ClientSettings load(Optional<Path> file, Map<String, String> env) {
        Map<String, String> props = new TreeMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP);
        props.put(RegistryClientConfig.URL, DEFAULT_REGISTRY);
        if (file.isPresent()) {
            props.putAll(readProperties(file.get()));
        }
        env.forEach((name, value) -> {
            String key = envKey(name);
            if (key != null && value != null && !value.isBlank()) {
                props.put(key, value.strip());
            }
        });
        return fromProperties(props);
    }

    /** From one flat map of Kafka-style keys (see the class comment). */
    public static ClientSettings fromProperties(Map<String, String> props) {
        Map<String, String> kafka = new TreeMap<>();
        Map<String, String> registryProps = new HashMap<>();
        String bootstrap = DEFAULT_BOOTSTRAP;
        String username = null;
        String password = null;
        for (var entry : props.entrySet()) {
            String key = entry.getKey();
            String value = entry.getValue();
            if (key.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
                bootstrap = value;
            } else if (key.startsWith("schema.registry.") || key.equals(RegistryClientConfig.USER_INFO)) {
                registryProps.put(key, value);
            } else if (key.equals(SASL_USERNAME)) {
                username = value;
            } else if (key.equals(SASL_PASSWORD)) {
                password = value;
            } else if (!key.equals("basic.auth.credentials.source")) {
                kafka.put(key, value);
            }
        }
        if (username != null || password != null) {
            if (username == null || password == null) {
                throw new IllegalArgumentException("SASL needs both a username and a password (sasl.username / sasl.password, "
                        + "or SAFELORA_SASL_USERNAME / SAFELORA_SASL_PASSWORD)");
            }
            String mechanism = kafka.computeIfAbsent("sasl.mechanism", k -> "PLAIN").toUpperCase(Locale.ROOT);
            kafka.put("sasl.mechanism", mechanism);
            kafka.putIfAbsent(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
            kafka.putIfAbsent("sasl.jaas.config", jaas(mechanism, username, password));
        }
        return new ClientSettings(bootstrap, RegistryClientConfig.fromProperties(registryProps), kafka);
    }

    /** The JAAS line for a username/password mechanism. */
    public static String jaas(String mechanism, String username, String password) {
        String module = switch (mechanism) {
            case "PLAIN" -> "org.apache.kafka.common.security.plain.PlainLoginModule";
            case "SCRAM-SHA-256", "SCRAM-SHA-512" -> "org.apache.kafka.common.security.scram.ScramLoginModule";
            default -> throw new IllegalArgumentException("SASL mechanism '" + mechanism + "' is not one of "
                    + new java.util.TreeSet<>(SASL_MECHANISMS) + "; give sasl.jaas.config yourself for others");
        };
        return module + " required username=\"" + escape(username) + "\" password=\"" + escape(password) + "\";";
    }

    public ClientSettings withBootstrapServers(String servers) {
        return new ClientSettings(servers, registry, kafka);
    }

    public ClientSettings withRegistry(RegistryClientConfig config) {
        return new ClientSettings(bootstrapServers, config, kafka);
    }

    /** Properties every client gets: bootstrap servers and security. */
    public Map<String, Object> commonProperties() {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }

    public Map<String, Object> adminProperties() {
        return commonProperties();
    }

    /** Idempotent producer with {@code acks=all}. */
    public Map<String, Object> producerProperties() {
        Map<String, Object> props = commonProperties();
        props.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return props;
    }

    /** Consumer in {@code groupId}, reading from the earliest offset when it has none, committing explicitly. */
    public Map<String, Object> consumerProperties(String groupId) {
        Map<String, Object> props = commonProperties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putIfAbsent(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return props;
    }

    /** Consumer without a group (assign/seek only), e.g. for {@code tail}. */
    public Map<String, Object> standaloneConsumerProperties() {
        Map<String, Object> props = commonProperties();
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return props;
    }

    /** Kafka Streams application {@code applicationId}, with the registry settings for serdes configured by class name. */
    public Map<String, Object> streamsProperties(String applicationId) {
        Map<String, Object> props = commonProperties();
        // StreamsConfig.APPLICATION_ID_CONFIG, spelled out: only the planner has Kafka Streams on its class path
        props.put("application.id", applicationId);
        props.putAll(serdeConfig().toProperties());
        return props;
    }

    public AvroSerdeConfig serdeConfig() {
        return new AvroSerdeConfig(registry, true, true, null, null);
    }

    /** A new HTTP registry client for these settings. */
    public HttpSchemaRegistryClient registryClient() {
        return new HttpSchemaRegistryClient(registry);
    }

    /** Shell lines that make another process (submit, tail, a stage) use these settings. */
    public String exportLines() {
        return "export SAFELORA_BOOTSTRAP_SERVERS=" + bootstrapServers + "\n"
                + "export SAFELORA_REGISTRY_URL=" + registry.url();
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        kafka.forEach((k, v) -> shown.put(k, k.contains("password") || k.contains("jaas") ? "****" : v));
        return "ClientSettings[bootstrapServers=" + bootstrapServers + ", registry=" + registry + ", kafka=" + shown + "]";
    }

    private static String envKey(String name) {
        return switch (name) {
            case "SAFELORA_BOOTSTRAP_SERVERS" -> CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG;
            case "SAFELORA_REGISTRY_URL" -> RegistryClientConfig.URL;
            case "SAFELORA_REGISTRY_USER_INFO" -> RegistryClientConfig.USER_INFO;
            case "SAFELORA_SECURITY_PROTOCOL" -> CommonClientConfigs.SECURITY_PROTOCOL_CONFIG;
            case "SAFELORA_SASL_MECHANISM" -> "sasl.mechanism";
            case "SAFELORA_SASL_USERNAME" -> SASL_USERNAME;
            case "SAFELORA_SASL_PASSWORD" -> SASL_PASSWORD;
            default -> {
                if (name.startsWith("SAFELORA_KAFKA_") && name.length() > "SAFELORA_KAFKA_".length()
                        && !name.equals("SAFELORA_KAFKA_LOG_LEVEL")) {
                    yield dotted(name.substring("SAFELORA_KAFKA_".length()));
                }
                if (name.startsWith("SAFELORA_REGISTRY_") && name.length() > "SAFELORA_REGISTRY_".length()) {
                    yield "schema.registry." + dotted(name.substring("SAFELORA_REGISTRY_".length()));
                }
                yield null;
            }
        };
    }

    private static String dotted(String envSuffix) {
        return envSuffix.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    private static Map<String, String> readProperties(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (java.nio.file.NoSuchFileException e) {
            // its message is the bare path, which the line already names
            throw new UncheckedIOException("cannot read client settings file " + file + ": no such file", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new UncheckedIOException("cannot read client settings file " + file + ": permission denied", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read client settings file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> map = new TreeMap<>();
        properties.stringPropertyNames().forEach(k -> map.put(k, properties.getProperty(k).strip()));
        return map;
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
