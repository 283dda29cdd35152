package dev.safelora.registry.server;

import java.util.Objects;

import javax.net.ssl.SSLContext;

/**
 * How to start a {@link SchemaRegistryServer}.
 *
 * @param bootstrapServers the broker that keeps the registry's topic
 * @param host             interface to bind, e.g. {@code localhost} or {@code 0.0.0.0}
 * @param port             HTTP port, 0 picks a free one
 * @param topic            compacted topic holding the schemas, {@code _schemas} by default
 * @param defaultCompatibility global level until someone sets another
 * @param userInfo         {@code user:password} every request must present with basic auth, or null for none
 * @param tls              null for plain HTTP; else HTTPS with the context's certificate, and, when it asks
 *                         for client authentication, clients must present a certificate the context trusts
 */
public record RegistryServerSettings(
        String bootstrapServers, String host, int port, String topic,
        Compatibility defaultCompatibility, String userInfo, ServerTls tls) {

    public static final String DEFAULT_TOPIC = "_schemas";

    public RegistryServerSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(defaultCompatibility, "defaultCompatibility");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("registry port must be in 0..65535, got " + port);
        }
    }

    /** localhost, a free port, topic {@code _schemas}, BACKWARD, no auth. */
    public static RegistryServerSettings defaults(String bootstrapServers) {
        return new RegistryServerSettings(bootstrapServers, "localhost", 0, DEFAULT_TOPIC, Compatibility.BACKWARD, null, null);
    }

    public RegistryServerSettings withPort(int newPort) {
        return new RegistryServerSettings(bootstrapServers, host, newPort, topic, defaultCompatibility, userInfo, tls);
    }

    public RegistryServerSettings withPortAndTopic(int newPort, String newTopic) {
        return new RegistryServerSettings(bootstrapServers, host, newPort, newTopic, defaultCompatibility, userInfo, tls);
    }

    public RegistryServerSettings withHost(String newHost) {
        return new RegistryServerSettings(bootstrapServers, newHost, port, topic, defaultCompatibility, userInfo, tls);
    }

    public RegistryServerSettings withUserInfo(String credentials) {
        return new RegistryServerSettings(bootstrapServers, host, port, topic, defaultCompatibility, credentials, tls);
    }

    public RegistryServerSettings withTls(ServerTls settings) {
        return new RegistryServerSettings(bootstrapServers, host, port, topic, defaultCompatibility, userInfo, settings);
    }

    /**
     * HTTPS for the registry.
     *
     * @param context              key material (the server's certificate) and, for client authentication, trust
     * @param needClientAuth clients must present a certificate the context trusts
     */
    public record ServerTls(SSLContext context, boolean needClientAuth) {
        public ServerTls {
            Objects.requireNonNull(context, "context");
        }
    }

    @Override
    public String toString() {
        return "RegistryServerSettings[bootstrapServers=" + bootstrapServers + ", host=" + host + ", port=" + port
                + ", topic=" + topic + ", defaultCompatibility=" + defaultCompatibility + ", auth=" + (userInfo != null) + ", tls=" + (tls != null) + "]";
    }
}
