package dev.safelora.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientSettingsTest {

    @TempDir
    Path dir;

    @Test
    void defaultsPointAtALocalDevCluster() {
        ClientSettings settings = ClientSettings.load(Optional.empty(), Map.of());
        assertThat(settings.bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(settings.registry().url()).isEqualTo("http://localhost:8081");
        assertThat(settings.kafka()).isEmpty();
        assertThat(settings.producerProperties()).containsEntry("bootstrap.servers", "localhost:9092")
                .containsEntry("acks", "all").containsEntry("enable.idempotence", "true");
        assertThat(settings.consumerProperties("g")).containsEntry("group.id", "g")
                .containsEntry("auto.offset.reset", "earliest").containsEntry("enable.auto.commit", "false");
        assertThat(settings.streamsProperties("app")).containsEntry("application.id", "app")
                .containsEntry("schema.registry.url", "http://localhost:8081");
    }

    @Test
    void environmentOverridesTheFileWhichOverridesDefaults() throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, """
                bootstrap.servers=file-broker:9093
                schema.registry.url=https://file-registry:8081
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                sasl.username=svc
                sasl.password=pa"ss
                ssl.truststore.location=/etc/kafka/truststore.p12
                ssl.truststore.password=tpw
                schema.registry.ssl.truststore.location=/etc/sr/truststore.p12
                linger.ms=5
                """);
        ClientSettings settings = ClientSettings.load(Optional.of(file), Map.of(
                "SAFELORA_BOOTSTRAP_SERVERS", "env-broker:9094",
                "SAFELORA_REGISTRY_USER_INFO", "sr-user:sr-pass",
                "SAFELORA_KAFKA_CLIENT_ID", "safelora-stage",
                "SAFELORA_REGISTRY_MAX_ATTEMPTS", "7",
                "SAFELORA_KAFKA_LOG_LEVEL", "debug",
                "HOME", "/root"));

        assertThat(settings.bootstrapServers()).isEqualTo("env-broker:9094");
        assertThat(settings.registry().url()).isEqualTo("https://file-registry:8081");
        assertThat(settings.registry().userInfo()).isEqualTo("sr-user:sr-pass");
        assertThat(settings.registry().maxAttempts()).isEqualTo(7);
        assertThat(settings.registry().tls().truststore()).hasToString("/etc/sr/truststore.p12");
        assertThat(settings.kafka())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"svc\" password=\"pa\\\"ss\";")
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.p12")
                .containsEntry("client.id", "safelora-stage")
                .containsEntry("linger.ms", "5")
                .doesNotContainKeys("sasl.username", "sasl.password", "log.level");
        assertThat(settings.adminProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("bootstrap.servers", "env-broker:9094");
        assertThat(settings.toString()).doesNotContain("pa\"ss", "tpw", "sr-pass");
    }

    @Test
    void saslFromTheEnvironmentDefaultsToPlainOverSaslSsl() {
        ClientSettings settings = ClientSettings.load(Optional.empty(), Map.of(
                "SAFELORA_SASL_USERNAME", "u", "SAFELORA_SASL_PASSWORD", "p"));
        assertThat(settings.kafka())
                .containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";");
    }

    @Test
    void incompleteOrUnknownSecurityIsRefusedWithAReason() {
        assertThatThrownBy(() -> ClientSettings.load(Optional.empty(), Map.of("SAFELORA_SASL_USERNAME", "u")))
                .hasMessageContaining("both a username and a password");
        assertThatThrownBy(() -> ClientSettings.load(Optional.empty(), Map.of("SAFELORA_SASL_MECHANISM", "GSSAPI")))
                .hasMessageContaining("needs an explicit sasl.jaas.config");
        assertThatThrownBy(() -> ClientSettings.load(Optional.of(dir.resolve("missing.properties")), Map.of()))
                .hasMessage("cannot read client settings file " + dir.resolve("missing.properties") + ": no such file");
    }
}
