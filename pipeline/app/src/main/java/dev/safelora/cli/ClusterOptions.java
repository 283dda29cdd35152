package dev.safelora.cli;

import java.nio.file.Path;
import java.util.Optional;

import dev.safelora.kafka.ClientSettings;
import picocli.CommandLine.Option;

/**
 * Where the cluster is, for every command that talks to one: defaults, then {@code --config FILE},
 * then the SAFELORA_* environment (see {@link ClientSettings#load}), then these flags.
 */
public final class ClusterOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Client properties file (bootstrap.servers, schema.registry.url, security.protocol, sasl.*, ssl.*).")
    Path config;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers (default: $SAFELORA_BOOTSTRAP_SERVERS or localhost:9092).")
    String bootstrapServers;

    @Option(names = "--registry-url", paramLabel = "URL",
            description = "Schema registry URL (default: $SAFELORA_REGISTRY_URL or http://localhost:8081).")
    String registryUrl;

    /** The resolved settings. */
    public ClientSettings settings() {
        ClientSettings settings = ClientSettings.load(Optional.ofNullable(config));
        if (bootstrapServers != null) {
            settings = settings.withBootstrapServers(bootstrapServers);
        }
        if (registryUrl != null) {
            settings = settings.withRegistry(settings.registry().withUrl(registryUrl));
        }
        return settings;
    }
}
