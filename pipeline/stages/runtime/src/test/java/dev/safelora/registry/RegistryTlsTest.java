package dev.safelora.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import dev.safelora.registry.server.RegistryServerSettings;
import dev.safelora.registry.server.SchemaRegistryServer;
import dev.safelora.testkit.SharedBroker;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's TLS settings against the in-process registry served over HTTPS. */
class RegistryTlsTest {

    private static final String PASSWORD = "changeit";
    private static final Schema SCHEMA = SchemaBuilder.record("Tls").namespace("test.registry").fields().requiredString("x").endRecord();

    @TempDir
    static Path dir;
    /** Made once with keytool; see src/test/resources/tls/README.md. */
    private static Path serverKeys;
    private static Path serverTrust;
    private static Path clientKeys;
    private static Path clientTrust;

    @BeforeAll
    static void certificates() throws Exception {
        serverKeys = resource("server.p12");
        serverTrust = resource("server-trust.p12");
        clientKeys = resource("client.p12");
        clientTrust = resource("client-trust.p12");
    }

    private static Path resource(String name) throws Exception {
        return Path.of(RegistryTlsTest.class.getResource("/tls/" + name).toURI());
    }

    private static RegistryServerSettings https(TlsSettings serverTls) {
        return RegistryServerSettings.defaults(SharedBroker.bootstrapServers())
                .withPortAndTopic(0, "_schemas_tls_" + UUID.randomUUID()).withTls(new RegistryServerSettings.ServerTls(serverTls.sslContext(), serverTls.truststore() != null));
    }

    @Test
    void aTruststoreFromPropertiesLetsTheClientTalkHttps() {
        try (SchemaRegistryServer server = SchemaRegistryServer.start(https(
                new TlsSettings(null, null, null, serverKeys, PASSWORD, "PKCS12", null)))) {
            assertThat(server.url()).startsWith("https://localhost:");
            RegistryClientConfig config = RegistryClientConfig.fromProperties(Map.of(
                    "schema.registry.url", server.url(),
                    "schema.registry.ssl.truststore.location", clientTrust.toString(),
                    "schema.registry.ssl.truststore.password", PASSWORD));
            HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(config);
            int id = client.register("tls-value", SCHEMA);
            assertThat(client.schemaById(id)).isEqualTo(SCHEMA);

            HttpSchemaRegistryClient untrusting = HttpSchemaRegistryClient.of(server.url());
            assertThatThrownBy(untrusting::subjects)
                    .isInstanceOf(RegistryException.class)
                    .isNotInstanceOf(RegistryUnreachableException.class)
                    .hasMessageStartingWith("TLS handshake with the schema registry at " + server.url() + " failed:")
                    .hasMessageEndingWith("(check the truststore/keystore settings)");
        }
    }

    @Test
    void aClientCertificateFromTheKeystoreSatisfiesMutualTls() {
        try (SchemaRegistryServer server = SchemaRegistryServer.start(https(
                new TlsSettings(serverTrust, PASSWORD, "PKCS12", serverKeys, PASSWORD, "PKCS12", null)))) {
            TlsSettings clientTls = new TlsSettings(clientTrust, PASSWORD, null, clientKeys, PASSWORD, null, null);
            HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(RegistryClientConfig.of(server.url()).withTls(clientTls));
            assertThat(client.register("mtls-value", SCHEMA)).isPositive();

            HttpSchemaRegistryClient anonymous = new HttpSchemaRegistryClient(RegistryClientConfig.of(server.url())
                    .withTls(new TlsSettings(clientTrust, PASSWORD, null, null, null, null, null))
                    .withRetries(2, java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(10)));
            assertThatThrownBy(anonymous::subjects).isInstanceOf(RegistryException.class);
        }
    }

    @Test
    void stalledHandshakesDoNotDelayAMutualTlsClientAndAreClosedAfterTheIdleTimeout() throws Exception {
        java.time.Duration idle = java.time.Duration.ofSeconds(2);
        RegistryServerSettings settings = https(new TlsSettings(serverTrust, PASSWORD, "PKCS12", serverKeys, PASSWORD, "PKCS12", null))
                .withLimits(RegistryServerSettings.DEFAULT_LIMITS.withWorkers(2).withIdleTimeout(idle));
        try (SchemaRegistryServer server = SchemaRegistryServer.start(settings)) {
            java.util.List<java.net.Socket> stalled = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    java.net.Socket s = new java.net.Socket("localhost", server.port());
                    // the start of a TLS record announcing 512 bytes of ClientHello, and nothing more
                    s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00});
                    s.getOutputStream().flush();
                    stalled.add(s);
                }
                TlsSettings clientTls = new TlsSettings(clientTrust, PASSWORD, null, clientKeys, PASSWORD, null, null);
                HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(RegistryClientConfig.of(server.url()).withTls(clientTls));
                assertThat(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                        () -> client.register("stall-value", SCHEMA))).isPositive();
                for (java.net.Socket s : stalled) {
                    s.setSoTimeout((int) idle.plusSeconds(5).toMillis());
                    assertThat(s.getInputStream().read()).as("closed after the idle timeout").isEqualTo(-1);
                }
            } finally {
                for (java.net.Socket s : stalled) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aMissingStoreIsAClearConfigurationError() {
        TlsSettings broken = new TlsSettings(dir.resolve("nope.p12"), PASSWORD, null, null, null, null, null);
        assertThatThrownBy(() -> new HttpSchemaRegistryClient(RegistryClientConfig.of("https://localhost:1").withTls(broken)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nope.p12 does not exist or is not readable");
    }
}
