package dev.safelora.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Clients that connect and say nothing, or send their request head a few bytes at a time, must not keep a probe
 * from getting its answer, and are closed after the read timeout; only exact GET /health and GET /metrics are served.
 */
class StageHttpServerSlowClientTest {

    private static String raw(int port, String request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void idleAndSlowClientsDoNotDelayTheHealthProbeAndAreClosedAfterTheReadTimeout() throws Exception {
        StageHealth loop = new StageHealth("trainer", Duration.ofSeconds(30));
        loop.polled();
        try (StageHttpServer http = StageHttpServer.start("127.0.0.1", 0, new StageMetrics())) {
            http.watch(loop);
            List<Socket> hostile = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), http.port());
                    if (i % 2 == 0) {
                        OutputStream out = s.getOutputStream();
                        out.write("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
                        out.flush(); // and never finishes the head
                    }
                    hostile.add(s);
                }
                long start = System.nanoTime();
                StageTestKit.Http probe = assertTimeoutPreemptively(Duration.ofSeconds(3), () -> StageTestKit.get(http.port(), "/health"));
                assertThat(probe.status()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(StageHttpServer.READ_TIMEOUT);

                // each hostile connection is closed by the server within the read timeout (plus a selector tick)
                for (Socket s : hostile) {
                    s.setSoTimeout((int) StageHttpServer.READ_TIMEOUT.plusSeconds(5).toMillis());
                    InputStream in = s.getInputStream();
                    assertThat(in.read()).as("the server closed the connection").isEqualTo(-1);
                }
            } finally {
                for (Socket s : hostile) {
                    s.close();
                }
            }
        }
    }

    @Test
    void onlyExactPathsAndGetAreServed() throws Exception {
        StageMetrics metrics = new StageMetrics();
        try (StageHttpServer http = StageHttpServer.start("127.0.0.1", 0, metrics)) {
            assertThat(raw(http.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200 ");
            assertThat(raw(http.port(), "GET /metrics?name[]=x HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200 ");
            assertThat(raw(http.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 ");
            assertThat(raw(http.port(), "GET /health/x HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 ");
            assertThat(raw(http.port(), "GET /metricsfoo HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 ");
            assertThat(raw(http.port(), "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"))
                    .startsWith("HTTP/1.1 405 ").contains("Allow: GET");
            assertThat(raw(http.port(), "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 405 ");
            assertThat(raw(http.port(), "nonsense\r\n\r\n")).startsWith("HTTP/1.1 400 ");
            String big;
            try {
                big = raw(http.port(), "GET /health HTTP/1.1\r\nX-Big: " + "a".repeat(StageHttpServer.MAX_HEAD_BYTES) + "\r\n\r\n");
            } catch (java.net.SocketException reset) {
                big = ""; // the server answered and closed while the rest of the head was still on its way
            }
            assertThat(big).as("an oversized head is refused, never served").satisfiesAnyOf(
                    b -> assertThat(b).startsWith("HTTP/1.1 431 "), b -> assertThat(b).isEmpty());
        }
    }

    @Test
    void bindsToTheConfiguredAddress() throws Exception {
        try (StageHttpServer http = StageHttpServer.start("127.0.0.1", 0, new StageMetrics())) {
            assertThat(raw(http.port(), "GET /health HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 503 ");
        }
        StageConfig config = StageConfig.of("trainer", dev.safelora.kafka.ClientSettings.plaintext("localhost:9092", "http://localhost:8081"),
                java.util.Map.of("topics", "t", "metrics.bind", "127.0.0.1"));
        assertThat(config.metricsBind()).isEqualTo("127.0.0.1");
        assertThat(config.unknownSettings(List.of())).isEmpty();
    }
}
