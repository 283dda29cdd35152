package dev.safelora.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * Where the cluster and registry are, for commands that talk to Kafka. Security settings
 * (SASL/TLS for the brokers, basic auth/TLS for the registry) go in a properties file passed with
 * {@code --config}, in the usual Kafka and Confluent property names; options given on the command
 * line win over the file.
 */
final class KafkaClientOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:SAFELORA_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (default: $SAFELORA_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE})")
    String bootstrapServers;

    @Option(names = "--registry-url", paramLabel = "URL",
            defaultValue = "${env:SAFELORA_REGISTRY_URL:-http://localhost:8081}",
            description = "schema registry URL (default: $SAFELORA_REGISTRY_URL or ${DEFAULT-VALUE})")
    String registryUrl;

    @Option(names = "--config", paramLabel = "FILE",
            description = "client properties file: security.protocol, sasl.*, ssl.*, basic.auth.user.info, schema.registry.ssl.*, ...")
    Path configFile;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "give up producing after this many seconds (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    /** The client properties: the --config file, then bootstrap servers and registry URL. */
    ClientSettings settings() {
        Map<String, String> properties = new LinkedHashMap<>();
        if (configFile != null) {
            Properties file = new Properties();
            try (Reader reader = Files.newBufferedReader(configFile)) {
                file.load(reader);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("cannot read client config " + configFile + ": no such file");
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot read client config " + configFile + ": " + e.getMessage());
            }
            file.stringPropertyNames().forEach(name -> properties.put(name, file.getProperty(name)));
        }
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("--timeout must be > 0 seconds, got " + timeoutSeconds);
        }
        return new ClientSettings(bootstrapServers, registryUrl, properties, Duration.ofSeconds(timeoutSeconds));
    }

    /** Resolved client settings; {@code properties} are the extra (security) properties. */
    record ClientSettings(String bootstrapServers, String registryUrl, Map<String, String> properties, Duration timeout) {
        ClientSettings {
            properties = Map.copyOf(properties);
        }
    }
}
