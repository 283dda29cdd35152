package dev.safelora.artifacts.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of an S3 server that sees each HTTP request's head, records it, and either forwards the
 * request byte for byte (SigV4 signatures stay valid: the Host header is the one the client signed) or answers
 * it with an S3-style error of its own. One request per connection: forwarded requests get
 * {@code Connection: close}, so every request passes through here.
 */
final class FaultInjectingProxy implements AutoCloseable {

    /** Requests whose method is {@code method} and whose target contains {@code targetPart} fail, {@code times} more times. */
    private record Rule(String method, String targetPart, int status, String code, AtomicInteger remaining) {}

    /** Every request seen, as {@code METHOD target}, e.g. {@code PUT /bkt/a.txt?partNumber=2&uploadId=...}. */
    final List<String> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger injected = new AtomicInteger();

    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final int targetPort;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });

    FaultInjectingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.submit(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    void fail(String method, String targetPart, int status, String code, int times) {
        rules.add(new Rule(method, targetPart, status, code, new AtomicInteger(times)));
    }

    void clearFaults() {
        rules.clear();
    }

    long count(String method, String targetPart) {
        return requests.stream().filter(r -> r.startsWith(method + " ") && r.contains(targetPart)).count();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                pool.submit(() -> handle(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            byte[] head = readHead(in);
            if (head == null) {
                return;
            }
            String text = new String(head, StandardCharsets.ISO_8859_1);
            String[] requestLine = text.substring(0, text.indexOf("\r\n")).split(" ");
            String method = requestLine[0];
            String target = requestLine.length > 1 ? requestLine[1] : "";
            requests.add(method + " " + target);
            Rule rule = match(method, target);
            if (rule != null) {
                injected.incrementAndGet();
                answerWithError(client, method, rule);
                return;
            }
            forward(client, in, text);
        } catch (IOException ignored) {
            // the client or the server went away; the client sees a broken connection, which is also a fault
        }
    }

    private Rule match(String method, String target) {
        for (Rule r : rules) {
            if (r.method().equals(method) && target.contains(r.targetPart()) && r.remaining().getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                return r;
            }
        }
        return null;
    }

    private static void answerWithError(Socket client, String method, Rule rule) throws IOException {
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + rule.code() + "</Code><Message>injected by the test"
                + "</Message><RequestId>fault</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
        boolean head = method.equals("HEAD");
        String response = "HTTP/1.1 " + rule.status() + " Injected\r\nContent-Type: application/xml\r\nContent-Length: "
                + (head ? 0 : body.length) + "\r\nConnection: close\r\n\r\n";
        OutputStream out = client.getOutputStream();
        out.write(response.getBytes(StandardCharsets.ISO_8859_1));
        if (!head) {
            out.write(body);
        }
        out.flush();
        client.shutdownOutput();
        // Read what the client still sends (a request body) until it closes, so it sees the answer, not a reset.
        client.setSoTimeout(2000);
        byte[] sink = new byte[65536];
        try {
            while (client.getInputStream().read(sink) >= 0) {
                // discard
            }
        } catch (SocketTimeoutException done) {
            // the client kept the connection open; closing it now is fine
        }
    }

    private void forward(Socket client, InputStream in, String head) throws IOException {
        StringBuilder rewritten = new StringBuilder();
        for (String line : head.substring(0, head.length() - 4).split("\r\n")) {
            if (!line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
                rewritten.append(line).append("\r\n");
            }
        }
        rewritten.append("Connection: close\r\n\r\n");
        try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort)) {
            OutputStream up = upstream.getOutputStream();
            up.write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
            up.flush();
            pool.submit(() -> {
                try {
                    in.transferTo(up);
                    upstream.shutdownOutput();
                } catch (IOException ignored) {
                    // either side closed
                }
            });
            upstream.getInputStream().transferTo(client.getOutputStream());
        }
    }

    /** The request head up to and including the blank line, read byte by byte so no body byte is consumed. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int state = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            buf.write(b);
            state = switch (state) {
                case 0, 2 -> b == '\r' ? state + 1 : 0;
                case 1 -> b == '\n' ? 2 : (b == '\r' ? 1 : 0);
                case 3 -> b == '\n' ? 4 : (b == '\r' ? 1 : 0);
                default -> 0;
            };
            if (state == 4) {
                return buf.toByteArray();
            }
            if (buf.size() > 64 * 1024) {
                throw new IOException("request head too large");
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
