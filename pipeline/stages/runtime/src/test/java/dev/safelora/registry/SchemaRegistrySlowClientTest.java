package dev.safelora.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.util.UUID;

import dev.safelora.http.HttpLimits;
import dev.safelora.registry.server.RegistryServerSettings;
import dev.safelora.registry.server.SchemaRegistryServer;
import dev.safelora.testkit.SharedBroker;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that stall half-way through their head or body must neither delay other clients nor stay connected;
 * bodies over the cap are refused from their declared length; only the registry's own paths and methods are routed.
 */
class SchemaRegistrySlowClientTest {

    /** Two workers, so that the stalled clients below outnumber them four times; short timeouts keep the test fast. */
    private static final HttpLimits LIMITS = RegistryServerSettings.DEFAULT_LIMITS.withWorkers(2)
            .withIdleTimeout(Duration.ofSeconds(6)).withRequestTimeout(Duration.ofSeconds(20));

    private static final Schema SCHEMA = SchemaBuilder.record("Slow").namespace("test.registry").fields()
            .requiredString("name").endRecord();

    private static SchemaRegistryServer server;

    @BeforeAll
    static void start() {
        server = SchemaRegistryServer.start(RegistryServerSettings.defaults(SharedBroker.bootstrapServers())
                .withHost("127.0.0.1").withPortAndTopic(0, "_schemas_slow_" + UUID.randomUUID()).withLimits(LIMITS));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getByName("127.0.0.1"), server.port());
        s.setSoTimeout(15_000);
        return s;
    }

    private static String raw(String request) throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void stalledHeadsAndBodiesDoNotDelayOthersAndAreClosedAfterTheIdleTimeout() throws Exception {
        String body = "{\"schema\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(SCHEMA.toString()) + "}";
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 4 * LIMITS.workers(); i++) {
                Socket s = connect();
                OutputStream out = s.getOutputStream();
                String half = i % 2 == 0
                        ? "POST /subjects/slow-value/versions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Sl"
                        : "POST /subjects/slow-value/versions HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n"
                                + body.substring(0, body.length() / 2);
                out.write(half.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                stalled.add(s);
            }
            long start = System.nanoTime();
            HttpSchemaRegistryClient client = HttpSchemaRegistryClient.of(server.url());
            // Starved, the normal client would wait for the idle timeout to free a worker; the bound sits well under it
            // and well above a registration's time on a loaded 2-core machine.
            int id = assertTimeoutPreemptively(LIMITS.idleTimeout().minusSeconds(2), () -> client.register("prompt-value", SCHEMA),
                    "a normal client is answered while the stalled ones wait for their idle timeout");
            assertThat(client.schemaById(id)).isEqualTo(SCHEMA);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(LIMITS.idleTimeout());

            for (Socket s : stalled) {
                InputStream in = s.getInputStream();
                assertThat(in.read()).as("the server closed the stalled connection").isEqualTo(-1);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("closed after the idle timeout, not before")
                    .isGreaterThanOrEqualTo(LIMITS.idleTimeout().minusMillis(500));
            assertThat(client.subjects()).doesNotContain("slow-value");
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    @Test
    void anOversizedBodyIsRefusedWith413BeforeItIsRead() throws Exception {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /subjects/big-value/versions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 38000000\r\n\r\n{\"schema\":\"{\\\"a\\\":0").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 413 ").contains("\"error_code\":413")
                    .contains("larger than " + LIMITS.maxBodyBytes() + " bytes");
            // the server stopped listening: the rest of the 38 MB cannot be delivered
            byte[] block = new byte[1 << 16];
            assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                for (int sent = 0; sent < 38_000_000; sent += block.length) {
                    out.write(block);
                }
            })).isInstanceOf(IOException.class);
        }
        // chunked, so no length is declared: refused once the cap is passed, not at the end
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /subjects/big-value/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            String chunk = Integer.toHexString(1 << 16) + "\r\n" + "{".repeat(1 << 16) + "\r\n";
            int sent = 0;
            try {
                for (; sent < 600; sent++) { // 38 MB if it were all taken
                    out.write(chunk.getBytes(StandardCharsets.ISO_8859_1));
                }
            } catch (IOException refused) {
                // expected once the server has answered and closed
            }
            assertThat(sent).as("chunks accepted before the refusal").isLessThan(600);
            assertThat(new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 413");
        } catch (java.net.SocketException reset) {
            // the refusal raced the rest of the upload and the client saw a reset instead: still refused, not read
            assertThat(reset.getMessage()).containsIgnoringCase("reset");
        }
        assertThat(HttpSchemaRegistryClient.of(server.url()).subjects()).doesNotContain("big-value");
    }

    @Test
    void onlyTheRegistrysPathsAndMethodsAreRoutedWithConfluentErrorBodies() throws Exception {
        assertThat(raw("GET /subjects HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200 ");
        assertThat(raw("GET /subjectsx HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 ")
                .endsWith("{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
        assertThat(raw("GET /subjects/a/versions/1/bogus HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 ");
        assertThat(raw("GET /schemas/ids/1/nothing HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 ");
        assertThat(raw("PUT /subjects HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")).startsWith("HTTP/1.1 405 ")
                .contains("Allow: GET").endsWith("{\"error_code\":405,\"message\":\"HTTP 405 Method Not Allowed\"}");
        assertThat(raw("POST /schemas/types HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")).startsWith("HTTP/1.1 405 ");
        assertThat(raw("DELETE /mode HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 405 ");
        assertThat(raw("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 405 ");
        assertThat(raw("GET /subjects/%zz HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 ");
        assertThat(raw("nonsense\r\n\r\n")).startsWith("HTTP/1.1 400 ").contains("\"error_code\":400");
        String big;
        try {
            big = raw("GET /subjects HTTP/1.1\r\nX-Big: " + "a".repeat(LIMITS.maxHeadBytes()) + "\r\n\r\n");
        } catch (java.net.SocketException reset) {
            big = ""; // the server answered and closed while the rest of the head was still on its way
        }
        assertThat(big).as("an oversized head is refused, never served").satisfiesAnyOf(
                b -> assertThat(b).startsWith("HTTP/1.1 431 ").contains("\"error_code\":431"), b -> assertThat(b).isEmpty());
    }

    @Test
    void bindsToTheConfiguredAddressOnly() throws Exception {
        assertThat(server.url()).startsWith("http://127.0.0.1:");
        java.util.Optional<InetAddress> other = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress()).findFirst();
        if (other.isPresent()) {
            assertThatThrownBy(() -> new Socket(other.get(), server.port()).close())
                    .as("not listening on " + other.get()).isInstanceOf(java.net.ConnectException.class);
        }
    }
}
