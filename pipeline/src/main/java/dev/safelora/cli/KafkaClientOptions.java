package dev.safelora.cli;

import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.RegistryClientConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where the cluster and registry are, for commands that talk to Kafka: built-in defaults, then
 * the {@code --config} properties file (SASL/TLS for the brokers, basic auth/TLS for the
 * registry, in the usual Kafka and Confluent property names), then the SAFELORA_* environment
 * (see {@link ClientSettings#load}), then these options, later ones winning.
 */
final class KafkaClientOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers (default: $SAFELORA_BOOTSTRAP_SERVERS, else " + ClientSettings.DEFAULT_BOOTSTRAP + ")")
    String bootstrapServers;

    @Option(names = "--registry-url", paramLabel = "URL",
            description = "schema registry URL (default: $SAFELORA_REGISTRY_URL, else " + ClientSettings.DEFAULT_REGISTRY + ")")
    String registryUrl;

    @Option(names = "--config", paramLabel = "FILE",
            description = "client properties file: security.protocol, sasl.*, ssl.*, basic.auth.user.info, schema.registry.ssl.*, ...")
    Path configFile;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "give up producing after this many seconds (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    ClientSettings settings() {
        if (configFile != null && !Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException("cannot read client config " + configFile + ": no such file");
        }
        ClientSettings settings = ClientSettings.load(Optional.ofNullable(configFile));
        if (bootstrapServers != null) {
            settings = settings.withBootstrapServers(bootstrapServers);
        }
        if (registryUrl != null) {
            RegistryClientConfig r = settings.registry();
            settings = settings.withRegistry(new RegistryClientConfig(registryUrl, r.userInfo(), r.tls(), r.connectTimeout(),
                    r.requestTimeout(), r.maxAttempts(), r.initialBackoff(), r.maxBackoff()));
        }
        return settings;
    }

    Duration timeout() {
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("--timeout must be > 0 seconds, got " + timeoutSeconds);
        }
        return Duration.ofSeconds(timeoutSeconds);
    }
}
