package dev.safelora.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Assembles one HTTP/1.1 request from bytes as they arrive, never blocking and never holding more than the
 * limits allow: the head in a buffer of {@link HttpLimits#maxHeadBytes}, the body (Content-Length or chunked)
 * up to {@link HttpLimits#maxBodyBytes}. A declared length over the cap is refused before any of the body is read.
 */
final class RequestReader {

    private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, DONE }

    private final HttpLimits limits;
    private final ByteBuffer input;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private State state = State.HEAD;
    private HttpRequest head;
    private long remaining;
    /** Bytes after the position already searched for the end of the head or line (a 1-byte trickle stays linear). */
    private int searched;

    RequestReader(HttpLimits limits) {
        this.limits = limits;
        this.input = ByteBuffer.allocate(limits.maxHeadBytes());
    }

    /** Where the next bytes from the client go (write mode). */
    ByteBuffer input() {
        return input;
    }

    /** The parsed head once it is complete, else null. */
    HttpRequest head() {
        return head;
    }

    boolean done() {
        return state == State.DONE;
    }

    /** The complete request; only when {@link #done()}. */
    HttpRequest request() {
        return head.withBody(body.toByteArray());
    }

    /**
     * Consumes what {@link #input()} holds as far as it goes, stopping once right after the head is parsed so that
     * the caller can {@linkplain HttpService#screen screen} it before the body is looked at (call again to go on).
     */
    void advance() throws HttpRefusal {
        input.flip();
        try {
            boolean progress = true;
            while (progress && state != State.DONE) {
                progress = switch (state) {
                    case HEAD -> readHead();
                    case BODY, CHUNK_DATA -> readData();
                    case CHUNK_SIZE -> readChunkSize();
                    case CHUNK_END -> readChunkEnd();
                    case TRAILER -> readTrailer();
                    case DONE -> false;
                };
            }
        } finally {
            input.compact();
        }
        if (state == State.HEAD && !input.hasRemaining()) {
            throw new HttpRefusal(431, "request head larger than " + limits.maxHeadBytes() + " bytes");
        }
        if ((state == State.CHUNK_SIZE || state == State.CHUNK_END || state == State.TRAILER) && !input.hasRemaining()) {
            throw new HttpRefusal(400, "chunk header or trailer line too long");
        }
    }

    private boolean readHead() throws HttpRefusal {
        int end = find("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        byte[] bytes = new byte[end];
        input.get(bytes);
        input.position(input.position() + 4);
        head = parseHead(new String(bytes, StandardCharsets.ISO_8859_1));
        String coding = head.header("transfer-encoding");
        String length = head.header("content-length");
        if (coding != null) {
            if (length != null) {
                throw new HttpRefusal(400, "both Transfer-Encoding and Content-Length");
            }
            if (!coding.equalsIgnoreCase("chunked")) {
                throw new HttpRefusal(400, "unsupported Transfer-Encoding (chunked only)");
            }
            state = State.CHUNK_SIZE;
        } else if (length != null) {
            remaining = contentLength(length);
            state = remaining == 0 ? State.DONE : State.BODY;
        } else {
            state = State.DONE;
        }
        return false; // the caller screens the head before any of the body is looked at
    }

    private long contentLength(String text) throws HttpRefusal {
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new HttpRefusal(400, "Content-Length is not a number");
        }
        return Long.parseLong(text);
    }

    private HttpRefusal tooLarge() {
        return new HttpRefusal(413, "request body larger than " + limits.maxBodyBytes() + " bytes");
    }

    private static HttpRequest parseHead(String text) throws HttpRefusal {
        String[] lines = text.split("\r\n", -1);
        String[] requestLine = lines[0].split(" ", -1);
        if (requestLine.length != 3 || !requestLine[2].matches("HTTP/1\\.[01]") || requestLine[0].isEmpty()
                || !requestLine[0].chars().allMatch(c -> c >= 'A' && c <= 'Z') || !requestLine[1].startsWith("/")) {
            throw new HttpRefusal(400, "malformed request line");
        }
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0 || !isToken(lines[i].substring(0, colon))) {
                throw new HttpRefusal(400, "malformed header line " + i);
            }
            String name = lines[i].substring(0, colon).toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).strip();
            String before = headers.put(name, value);
            if (before != null && !before.equals(value) && (name.equals("content-length") || name.equals("transfer-encoding"))) {
                throw new HttpRefusal(400, "conflicting " + name + " headers");
            }
        }
        String target = requestLine[1];
        int hash = target.indexOf('#');
        if (hash >= 0) {
            target = target.substring(0, hash);
        }
        int query = target.indexOf('?');
        String path = query < 0 ? target : target.substring(0, query);
        String rawQuery = query < 0 ? null : target.substring(query + 1);
        return new HttpRequest(requestLine[0], path, rawQuery, headers, new byte[0]);
    }

    private static boolean isToken(String name) {
        return name.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0);
    }

    private boolean readData() throws HttpRefusal {
        if (state == State.BODY && remaining > limits.maxBodyBytes()) {
            throw tooLarge(); // refused on the declared length, before reading any of it
        }
        int n = (int) Math.min(remaining, input.remaining());
        if (n == 0) {
            return false;
        }
        body.write(input.array(), input.arrayOffset() + input.position(), n);
        input.position(input.position() + n);
        remaining -= n;
        if (remaining == 0) {
            state = state == State.BODY ? State.DONE : State.CHUNK_END;
        }
        return true;
    }

    private boolean readChunkSize() throws HttpRefusal {
        String line = line();
        if (line == null) {
            return false;
        }
        int semicolon = line.indexOf(';');
        String hex = (semicolon < 0 ? line : line.substring(0, semicolon)).strip();
        if (hex.isEmpty() || hex.length() > 8 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new HttpRefusal(400, "malformed chunk size");
        }
        long size = Long.parseLong(hex, 16);
        if (body.size() + size > limits.maxBodyBytes()) {
            throw tooLarge();
        }
        remaining = size;
        state = size == 0 ? State.TRAILER : State.CHUNK_DATA;
        return true;
    }

    private boolean readChunkEnd() throws HttpRefusal {
        // Exactly CRLF follows a chunk's data: decide from two bytes rather than waiting for a line, which a client
        // could leave open until the buffer fills (a full buffer reads nothing, and the selector would spin on it).
        if (input.remaining() < 2) {
            return false;
        }
        if (input.get() != '\r' || input.get() != '\n') {
            throw new HttpRefusal(400, "chunk longer than its size");
        }
        state = State.CHUNK_SIZE;
        return true;
    }

    private boolean readTrailer() {
        String line = line();
        if (line == null) {
            return false;
        }
        if (line.isEmpty()) {
            state = State.DONE;
        }
        return true;
    }

    /** The next CRLF-terminated line (consumed), or null while it is incomplete. */
    private String line() {
        int end = find("\r\n");
        if (end < 0) {
            return null;
        }
        byte[] bytes = new byte[end];
        input.get(bytes);
        input.position(input.position() + 2);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private int find(String marker) {
        int at = indexOf(input, marker, Math.max(0, searched - marker.length() + 1));
        searched = at < 0 ? input.remaining() : 0;
        return at;
    }

    /** Offset from the buffer's position of the first {@code marker} at or after {@code skip}, before the limit, or -1. */
    private static int indexOf(ByteBuffer buffer, String marker, int skip) {
        byte[] b = buffer.array();
        int from = buffer.arrayOffset() + buffer.position();
        int to = buffer.arrayOffset() + buffer.limit() - marker.length();
        outer:
        for (int i = from + skip; i <= to; i++) {
            for (int j = 0; j < marker.length(); j++) {
                if (b[i + j] != marker.charAt(j)) {
                    continue outer;
                }
            }
            return i - from;
        }
        return -1;
    }
}
