package dev.safelora.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import dev.safelora.kafka.ClientSettings;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Where the cluster is, for every command that talks to one: defaults, then {@code --config FILE},
 * then the SAFELORA_* environment (see {@link ClientSettings#load}), then these flags.
 */
public final class ClusterOptions {

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Client properties file (bootstrap.servers, schema.registry.url, security.protocol, sasl.*, ssl.*).")
    Path config;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers (default: $SAFELORA_BOOTSTRAP_SERVERS or localhost:9092).")
    String bootstrapServers;

    @Option(names = "--registry-url", paramLabel = "URL",
            description = "Schema registry URL (default: $SAFELORA_REGISTRY_URL or http://localhost:8081).")
    String registryUrl;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "Give up when no Kafka broker has answered within this many seconds (default: ${DEFAULT-VALUE}).")
    double connectTimeoutSeconds = 10;

    /**
     * The resolved settings, once a broker at their bootstrap servers has answered within --connect-timeout (or
     * {@code limit}, when that is shorter); one clear line naming the bootstrap servers otherwise.
     */
    public ClientSettings reachableSettings(Duration limit) {
        ClientSettings settings = settings();
        Duration connect = connectTimeout();
        BrokerCheck.requireReachable(settings, limit != null && limit.compareTo(connect) < 0 ? limit : connect);
        return settings;
    }

    /** {@link #reachableSettings(Duration)} bounded by --connect-timeout alone. */
    public ClientSettings reachableSettings() {
        return reachableSettings(null);
    }

    Duration connectTimeout() {
        if (!(connectTimeoutSeconds > 0) || connectTimeoutSeconds > 86_400) {
            throw new CommandLine.ParameterException(mixee.commandLine(),
                    "--connect-timeout must be > 0 and at most 86400 seconds, got " + connectTimeoutSeconds);
        }
        return Duration.ofMillis(Math.round(connectTimeoutSeconds * 1000));
    }

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
