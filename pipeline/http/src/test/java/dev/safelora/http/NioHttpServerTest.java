package dev.safelora.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NioHttpServerTest {

    /** Echoes the body; refuses /private from the head alone. */
    private static final HttpService ECHO = new HttpService() {
        @Override
        public Optional<HttpReply> screen(HttpRequest head) {
            return head.path().equals("/private") ? Optional.of(HttpReply.text(403, "no")) : Optional.empty();
        }

        @Override
        public HttpReply respond(HttpRequest request) {
            return new HttpReply(200, "application/octet-stream", request.body());
        }

        @Override
        public HttpReply refusal(int status, String message) {
            return HttpReply.text(status, "refused: " + message);
        }
    };

    private static final HttpLimits LIMITS = new HttpLimits(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(5),
            4096, 1 << 20, 16, 2, 8);

    @Test
    void javaHttpClientRequestsWithBodiesChunkedOrExpectingContinueRoundTrip() throws Exception {
        try (NioHttpServer server = NioHttpServer.start("test", "127.0.0.1", 0, LIMITS, ECHO, null)) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/echo");
            byte[] body = new byte[300_000];
            new java.util.Random(7).nextBytes(body);
            var fixed = java.net.http.HttpRequest.newBuilder(uri).POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build();
            assertThat(client.send(fixed, HttpResponse.BodyHandlers.ofByteArray()).body()).isEqualTo(body);
            // no length known up front: sent chunked
            var chunked = java.net.http.HttpRequest.newBuilder(uri).expectContinue(true)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build();
            HttpResponse<byte[]> echoed = client.send(chunked, HttpResponse.BodyHandlers.ofByteArray());
            assertThat(echoed.statusCode()).isEqualTo(200);
            assertThat(echoed.body()).isEqualTo(body);
            var screened = java.net.http.HttpRequest.newBuilder(uri.resolve("/private")).GET().build();
            HttpResponse<String> refused = client.send(screened, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.headers().firstValue("Connection")).hasValue("close");
        }
    }

    @Test
    void aClientTricklingItsHeadIsClosedAtTheRequestTimeoutThoughNeverIdle() throws Exception {
        HttpLimits limits = LIMITS.withIdleTimeout(Duration.ofSeconds(2)).withRequestTimeout(Duration.ofSeconds(3));
        try (NioHttpServer server = NioHttpServer.start("test", "127.0.0.1", 0, limits, ECHO, null);
             java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
            java.util.concurrent.ScheduledExecutorService trickle = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            long start = System.nanoTime();
            try {
                s.getOutputStream().write("GET /echo HTTP/1.1\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
                // one byte every 200 ms: never silent for the idle timeout, never done either
                trickle.scheduleAtFixedRate(() -> {
                    try {
                        s.getOutputStream().write('a');
                    } catch (java.io.IOException closed) {
                        throw new java.io.UncheckedIOException(closed);
                    }
                }, 200, 200, java.util.concurrent.TimeUnit.MILLISECONDS);
                s.setSoTimeout(10_000);
                int first;
                try {
                    first = s.getInputStream().read();
                } catch (java.net.SocketException reset) {
                    first = -1; // a trickled byte arrived after the server's last read: closed with a reset
                }
                assertThat(first).as("closed unanswered").isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(2900))
                        .isLessThan(Duration.ofSeconds(8));
            } finally {
                trickle.shutdownNow();
            }
        }
    }

    @Test
    void aRequestRefusedFromItsHeadStillGetsItsAnswerWhileTheBodyIsOnItsWay() throws Exception {
        try (NioHttpServer server = NioHttpServer.start("test", "127.0.0.1", 0, LIMITS, ECHO, null)) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            byte[] body = new byte[400_000];
            for (int i = 0; i < 5; i++) {
                var refused = java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/private"))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build();
                assertThat(client.send(refused, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);
                var tooLarge = java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/echo"))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[(1 << 20) + 1])).build();
                HttpResponse<String> answer = client.send(tooLarge, HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(413);
                assertThat(answer.body()).startsWith("refused: request body larger than");
            }
        }
    }
}
