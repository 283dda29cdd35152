package dev.safelora.registry.server;

import java.time.Duration;
import java.util.Objects;

import dev.safelora.http.HttpLimits;

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
 * @param limits           timeouts, size caps and threads of the HTTP server ({@link #DEFAULT_LIMITS})
 */
public record RegistryServerSettings(
        String bootstrapServers, String host, int port, String topic,
        Compatibility defaultCompatibility, String userInfo, ServerTls tls, HttpLimits limits) {

    public static final String DEFAULT_TOPIC = "_schemas";

    /**
     * A request within 10 s of silence and 30 s in all, a head of at most 8 KiB (Jetty's default, as in Confluent's
     * registry), a body of at most 1 MiB (a schema is stored as one record of a Kafka topic, whose records are at most
     * about 1 MB by default, so nothing larger can be a schema worth parsing), 128 connections still sending, eight
     * workers for complete requests.
     */
    public static final HttpLimits DEFAULT_LIMITS = new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofSeconds(30), 8192, 1 << 20, 128, 8, 64);

    public RegistryServerSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(defaultCompatibility, "defaultCompatibility");
        Objects.requireNonNull(limits, "limits");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("registry port must be in 0..65535, got " + port);
        }
    }

    /** localhost, a free port, topic {@code _schemas}, BACKWARD, no auth. */
    public static RegistryServerSettings defaults(String bootstrapServers) {
        return new RegistryServerSettings(bootstrapServers, "localhost", 0, DEFAULT_TOPIC, Compatibility.BACKWARD, null, null, DEFAULT_LIMITS);
    }

    public RegistryServerSettings withPort(int newPort) {
        return new RegistryServerSettings(bootstrapServers, host, newPort, topic, defaultCompatibility, userInfo, tls, limits);
    }

    public RegistryServerSettings withPortAndTopic(int newPort, String newTopic) {
        return new RegistryServerSettings(bootstrapServers, host, newPort, newTopic, defaultCompatibility, userInfo, tls, limits);
    }

    public RegistryServerSettings withHost(String newHost) {
        return new RegistryServerSettings(bootstrapServers, newHost, port, topic, defaultCompatibility, userInfo, tls, limits);
    }

    public RegistryServerSettings withUserInfo(String credentials) {
        return new RegistryServerSettings(bootstrapServers, host, port, topic, defaultCompatibility, credentials, tls, limits);
    }

    public RegistryServerSettings withTls(ServerTls settings) {
        return new RegistryServerSettings(bootstrapServers, host, port, topic, defaultCompatibility, userInfo, settings, limits);
    }

    public RegistryServerSettings withLimits(HttpLimits newLimits) {
        return new RegistryServerSettings(bootstrapServers, host, port, topic, defaultCompatibility, userInfo, tls, newLimits);
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
                + ", topic=" + topic + ", defaultCompatibility=" + defaultCompatibility + ", auth=" + (userInfo != null) + ", tls=" + (tls != null) + ", limits=" + limits + "]";
    }
}
