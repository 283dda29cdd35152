package dev.safelora.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import dev.safelora.registry.server.SchemaRegistryServer;
import org.junit.jupiter.api.Test;

/** Retries: bounded, with backoff, on connect errors and 5xx; never on 4xx. */
class HttpSchemaRegistryClientRetryTest {

    private static RegistryClientConfig fast(String url, int attempts) {
        return RegistryClientConfig.of(url)
                .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2))
                .withRetries(attempts, Duration.ofMillis(20), Duration.ofMillis(50));
    }

    @Test
    void anUnreachableRegistryFailsAfterTheConfiguredAttemptsNamingTheUrl() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort;
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(fast(url, 3));
        long begin = System.nanoTime();
        assertThatThrownBy(() -> client.schemaById(1))
                .isInstanceOfSatisfying(RegistryUnreachableException.class, e -> {
                    assertThat(e.attempts()).isEqualTo(3);
                    assertThat(e.url()).isEqualTo(url);
                    assertThat(e.getMessage())
                            .startsWith("schema registry at " + url + " unreachable after 3 attempts: GET /schemas/ids/1 failed: ")
                            .contains("ConnectException");
                });
        // two waits with ceilings 20 ms then 40 ms, the top half of each drawn at random (Backoff's jitter): >= 10 + 20 ms
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isGreaterThanOrEqualTo(Duration.ofMillis(30));
    }

    @Test
    void serverErrorsAreRetriedThenReportedWithTheRegistrysMessage() throws IOException {
        AtomicInteger requests = new AtomicInteger();
        HttpServer stub = answering(503, "{\"error_code\":50003,\"message\":\"store not ready\"}", requests);
        try {
            String url = "http://localhost:" + stub.getAddress().getPort();
            assertThatThrownBy(() -> new HttpSchemaRegistryClient(fast(url, 4)).subjects())
                    .isInstanceOfSatisfying(RegistryUnreachableException.class, e -> {
                        assertThat(e.attempts()).isEqualTo(4);
                        assertThat(e.getMessage()).contains("HTTP 503", "50003", "store not ready");
                    });
            assertThat(requests).hasValue(4);
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void clientErrorsAreNeverRetried() throws IOException {
        AtomicInteger requests = new AtomicInteger();
        HttpServer stub = answering(404, "{\"error_code\":40401,\"message\":\"Subject 'x' not found.\"}", requests);
        try {
            String url = "http://localhost:" + stub.getAddress().getPort();
            assertThatThrownBy(() -> new HttpSchemaRegistryClient(fast(url, 4)).versions("x"))
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e).isNotInstanceOf(RegistryUnreachableException.class);
                        assertThat(e.httpStatus()).isEqualTo(404);
                        assertThat(e.errorCode()).isEqualTo(40401);
                        assertThat(e.getMessage()).contains("Subject 'x' not found.");
                    });
            assertThat(requests).hasValue(1);
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void backoffDoublesUpToTheCap() {
        RegistryClientConfig config = RegistryClientConfig.of("http://r:1")
                .withRetries(10, Duration.ofMillis(100), Duration.ofMillis(500));
        assertThat(config.backoffAfter(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(config.backoffAfter(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(config.backoffAfter(3)).isEqualTo(Duration.ofMillis(400));
        assertThat(config.backoffAfter(4)).isEqualTo(Duration.ofMillis(500));
        assertThat(config.backoffAfter(60)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void configurationComesFromKafkaStyleProperties() {
        RegistryClientConfig config = RegistryClientConfig.fromProperties(Map.of(
                "schema.registry.url", "https://sr.example:8081/,https://sr2.example:8081",
                "basic.auth.user.info", "u:p",
                "schema.registry.max.attempts", "2",
                "schema.registry.ssl.truststore.location", "/etc/ts.p12",
                "schema.registry.ssl.truststore.password", "pw"));
        assertThat(config.url()).isEqualTo("https://sr.example:8081");
        assertThat(config.userInfo()).isEqualTo("u:p");
        assertThat(config.maxAttempts()).isEqualTo(2);
        assertThat(config.tls().truststore()).hasToString("/etc/ts.p12");
        assertThat(config.toString()).doesNotContain("pw", "u:p");
        assertThatThrownBy(() -> RegistryClientConfig.fromProperties(Map.of()))
                .hasMessageContaining("schema.registry.url");
        assertThatThrownBy(() -> RegistryClientConfig.of("localhost:8081"))
                .hasMessageContaining("must be http://host:port");
    }

    private static HttpServer answering(int status, String body, AtomicInteger requests) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return server;
    }
}
