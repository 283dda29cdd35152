package dev.safelora.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RequestReaderTest {

    private static final HttpLimits LIMITS = new HttpLimits(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
            256, 64, 4, 1, 1);

    /** Feeds {@code text} {@code step} bytes at a time, screening after the head as the server does. */
    private static RequestReader feed(String text, int step) throws HttpRefusal {
        RequestReader reader = new RequestReader(LIMITS);
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        boolean screened = false;
        for (int at = 0, n; at < bytes.length && !reader.done(); at += n) {
            n = Math.min(Math.min(step, bytes.length - at), reader.input().remaining());
            if (n == 0) {
                throw new AssertionError("the reader's buffer is full and it neither refused nor finished");
            }
            reader.input().put(bytes, at, n);
            reader.advance();
            if (reader.head() != null && !screened) {
                screened = true;
                reader.advance();
            }
        }
        return reader;
    }

    @Test
    void aRequestTricklingInByteByByteIsTheSameAsOneArrivingAtOnce() throws HttpRefusal {
        String request = "POST /a%2Fb/c?x=1&y HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-Twice: 1\r\nx-twice: 2\r\n\r\nhello";
        for (int step : new int[] {1, 3, request.length()}) {
            RequestReader reader = feed(request, step);
            assertThat(reader.done()).isTrue();
            HttpRequest r = reader.request();
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.path()).isEqualTo("/a%2Fb/c");
            assertThat(r.rawQuery()).isEqualTo("x=1&y");
            assertThat(r.header("HOST")).isEqualTo("h");
            assertThat(r.header("x-twice")).isEqualTo("2");
            assertThat(new String(r.body(), StandardCharsets.ISO_8859_1)).isEqualTo("hello");
        }
    }

    @Test
    void chunkedBodiesAreDecodedWithExtensionsAndTrailers() throws HttpRefusal {
        String request = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-T: 1\r\n\r\n";
        for (int step : new int[] {1, 7, request.length()}) {
            RequestReader reader = feed(request, step);
            assertThat(reader.done()).isTrue();
            assertThat(new String(reader.request().body(), StandardCharsets.ISO_8859_1)).isEqualTo("hello world");
        }
    }

    @Test
    void malformedOrOversizedRequestsAreRefusedWithTheirStatus() {
        assertThatThrownBy(() -> feed("POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 100))
                .isInstanceOfSatisfying(HttpRefusal.class, e -> assertThat(e.status).isEqualTo(413));
        assertThatThrownBy(() -> feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n", 100))
                .isInstanceOfSatisfying(HttpRefusal.class, e -> assertThat(e.status).isEqualTo(413));
        assertThatThrownBy(() -> feed("GET / HTTP/1.1\r\nX: " + "a".repeat(300), 10))
                .isInstanceOfSatisfying(HttpRefusal.class, e -> assertThat(e.status).isEqualTo(431));
        for (String bad : new String[] {"GET /\r\n\r\n", "get / HTTP/1.1\r\n\r\n", "GET x HTTP/1.1\r\n\r\n", "GET / HTTP/2\r\n\r\n",
                "GET / HTTP/1.1\r\nNo colon\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
                // the line after a chunk's data left open past the buffer: refused, not waited for with a full buffer
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na" + "b".repeat(300)}) {
            assertThatThrownBy(() -> feed(bad, 1)).as(bad)
                    .isInstanceOfSatisfying(HttpRefusal.class, e -> assertThat(e.status).isEqualTo(400));
        }
    }
}
