package dev.safelora.stage;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP port per process: {@code GET /metrics} (Prometheus text format of {@link StageMetrics}) and
 * {@code GET /health} (200 when every watched loop is alive and polling, 503 otherwise, with a small JSON body
 * saying which). Nothing else: other paths are 404, other methods 405, and no request body is read.
 *
 * <p>Hand-written on NIO rather than on the JDK's {@code HttpServer}, which reads request headers on its worker
 * threads with no per-connection deadline (two clients sending headers slowly blocked {@code /health} for 75 s,
 * and a liveness probe would then restart the pod), and rather than on Jetty, whose version would clash with the
 * one S3Proxy brings to the test class path. Here one selector thread reads every request head without blocking,
 * each connection has {@link #READ_TIMEOUT} to deliver its head (idle or slow ones are closed), at most
 * {@link #MAX_CONNECTIONS} are open (the oldest is dropped for a new one), and only complete heads reach the small
 * bounded worker pool, so idle or slow clients cannot starve a probe.
 */
public final class StageHttpServer implements AutoCloseable {

    static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);
    static final int MAX_HEAD_BYTES = 8192;
    static final int MAX_CONNECTIONS = 128;
    private static final int WORKERS = 2;

    private final ServerSocketChannel server;
    private final Selector selector;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService deadlines;
    private final Thread selectorThread;
    private final StageMetrics metrics;
    private final List<StageHealth> watched = new CopyOnWriteArrayList<>();
    private final java.util.Map<String, StagePages.Page> pages = new java.util.concurrent.ConcurrentHashMap<>();
    private final Deque<SelectionKey> open = new ArrayDeque<>();
    private volatile boolean closed;

    /** What a connection has sent so far and by when its head must be complete. */
    private static final class Pending {
        final ByteBuffer head = ByteBuffer.allocate(MAX_HEAD_BYTES);
        final long deadlineNanos = System.nanoTime() + READ_TIMEOUT.toNanos();
    }

    private StageHttpServer(ServerSocketChannel server, Selector selector, StageMetrics metrics) {
        this.server = server;
        this.selector = selector;
        this.metrics = metrics;
        this.workers = new ThreadPoolExecutor(WORKERS, WORKERS, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(32), r -> daemon(r, "stage-http"));
        this.deadlines = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "stage-http-deadlines"));
        this.selectorThread = daemon(this::selectLoop, "stage-http-selector");
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Starts serving on {@code port} on all interfaces (0 = any free port; see {@link #port()}). */
    public static StageHttpServer start(int port, StageMetrics metrics) {
        return start("0.0.0.0", port, metrics);
    }

    /** Starts serving on {@code host}:{@code port} ({@code stage.metrics.bind}; 0 = any free port). */
    public static StageHttpServer start(String host, int port, StageMetrics metrics) {
        try {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(host, port), 64);
            server.configureBlocking(false);
            Selector selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            StageHttpServer s = new StageHttpServer(server, selector, metrics);
            s.selectorThread.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics and health on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    public StageMetrics metrics() {
        return metrics;
    }

    /** Serves {@code page} for GETs of paths under {@code prefix} too (a stage's own pages, e.g. {@code /audit/}). */
    public void route(String prefix, StagePages.Page page) {
        pages.put(prefix, page);
    }

    /** Adds a loop to what {@code /health} reports. */
    public void watch(StageHealth health) {
        watched.add(health);
    }

    private void selectLoop() {
        while (!closed) {
            try {
                selector.select(250);
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else if (key.isReadable()) {
                        read(key);
                    }
                }
                expire();
            } catch (ClosedSelectorException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            channel.configureBlocking(false);
            open.removeIf(k -> !k.isValid());
            if (open.size() >= MAX_CONNECTIONS) {
                drop(open.pollFirst()); // the oldest is the most likely to be idle or slow on purpose
            }
            open.addLast(channel.register(selector, SelectionKey.OP_READ, new Pending()));
        }
    }

    private void read(SelectionKey key) {
        Pending pending = (Pending) key.attachment();
        SocketChannel channel = (SocketChannel) key.channel();
        try {
            int n = channel.read(pending.head);
            if (n < 0) {
                drop(key);
                return;
            }
            int end = headEnd(pending.head);
            if (end < 0) {
                if (!pending.head.hasRemaining()) {
                    key.cancel();
                    respondLater(channel, 431, "text/plain", "request head larger than " + MAX_HEAD_BYTES + " bytes\n");
                }
                return;
            }
            key.cancel();
            open.remove(key);
            String head = new String(pending.head.array(), 0, end, StandardCharsets.ISO_8859_1);
            respondLater(channel, head);
        } catch (IOException e) {
            drop(key);
        }
    }

    /** Closes connections that have not delivered their request head in time. */
    private void expire() {
        long now = System.nanoTime();
        for (Iterator<SelectionKey> it = open.iterator(); it.hasNext(); ) {
            SelectionKey key = it.next();
            if (!key.isValid()) {
                it.remove();
            } else if (now - ((Pending) key.attachment()).deadlineNanos > 0) {
                it.remove();
                drop(key);
            }
        }
    }

    private static void drop(SelectionKey key) {
        if (key == null) {
            return;
        }
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Index just past the blank line ending the head, or -1. */
    private static int headEnd(ByteBuffer buffer) {
        byte[] b = buffer.array();
        for (int i = 3; i < buffer.position(); i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    private void respondLater(SocketChannel channel, String head) {
        String requestLine = head.lines().findFirst().orElse("");
        String[] parts = requestLine.split(" ");
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            respondLater(channel, 400, "text/plain", "malformed request line\n");
            return;
        }
        String method = parts[0];
        String target = parts[1];
        int query = target.indexOf('?');
        String path = query < 0 ? target : target.substring(0, query);
        StagePages.Page page = pages.entrySet().stream().filter(e -> path.startsWith(e.getKey())).map(java.util.Map.Entry::getValue)
                .findFirst().orElse(null);
        if (page != null) {
            if (!method.equals("GET")) {
                respondLater(channel, 405, "text/plain", "method not allowed (GET only)\n");
            } else {
                submit(channel, () -> pageReply(page, path));
            }
        } else if (!path.equals("/health") && !path.equals("/metrics")) {
            respondLater(channel, 404, "text/plain", "not found (this port serves GET /health and GET /metrics)\n");
        } else if (!method.equals("GET")) {
            respondLater(channel, 405, "text/plain", "method not allowed (GET only)\n");
        } else {
            submit(channel, () -> path.equals("/health") ? health() : metricsReply());
        }
    }

    private void respondLater(SocketChannel channel, int status, String type, String body) {
        submit(channel, () -> new Reply(status, type, body.getBytes(StandardCharsets.UTF_8)));
    }

    private record Reply(int status, String contentType, byte[] body, String extraHeaders) {
        Reply(int status, String contentType, byte[] body) {
            this(status, contentType, body, "");
        }
    }

    private interface ReplySource {
        Reply get() throws IOException;
    }

    private void submit(SocketChannel channel, ReplySource source) {
        try {
            workers.execute(() -> write(channel, source));
        } catch (RejectedExecutionException e) {
            closeQuietly(channel); // more complete requests queued than served: shed this one
        }
    }

    private void write(SocketChannel channel, ReplySource source) {
        // A client that does not read its response must not hold a worker: close it when the time is up.
        ScheduledFuture<?> deadline = deadlines.schedule(() -> closeQuietly(channel), WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        try {
            Reply reply = source.get();
            String head = "HTTP/1.1 " + reply.status() + " " + reason(reply.status()) + "\r\n"
                    + "Content-Type: " + reply.contentType() + "\r\n"
                    + "Content-Length: " + reply.body().length + "\r\n"
                    + (reply.status() == 405 ? "Allow: GET\r\n" : "")
                    + reply.extraHeaders()
                    + "Connection: close\r\n\r\n";
            ByteBuffer out = ByteBuffer.allocate(head.length() + reply.body().length);
            out.put(head.getBytes(StandardCharsets.ISO_8859_1)).put(reply.body()).flip();
            // The channel stays non-blocking (its key may not be deregistered yet); the deadline above ends a stall.
            while (out.hasRemaining()) {
                if (channel.write(out) == 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client went away or took too long: nothing to tell it
        } finally {
            deadline.cancel(false);
            closeQuietly(channel);
        }
    }

    private static Reply pageReply(StagePages.Page page, String path) {
        try {
            StagePages.Response r = page.get(path);
            return new Reply(r.status(), r.contentType(), r.body(), PAGE_HEADERS);
        } catch (Exception e) {
            return new Reply(500, "text/plain", "the page failed\n".getBytes(StandardCharsets.UTF_8), "");
        }
    }

    private static final String PAGE_HEADERS = "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src data:\r\n"
            + "X-Content-Type-Options: nosniff\r\n";

    private Reply health() {
        boolean up = !watched.isEmpty() && watched.stream().allMatch(StageHealth::healthy);
        StringBuilder body = new StringBuilder("{\"status\":\"").append(up ? "UP" : "DOWN").append("\",\"stages\":[");
        for (int i = 0; i < watched.size(); i++) {
            StageHealth h = watched.get(i);
            body.append(i == 0 ? "" : ",").append("{\"stage\":\"").append(h.stage()).append("\",\"healthy\":")
                    .append(h.healthy()).append(",\"lastPollAgeMs\":").append(h.lastPollAgeMillis()).append('}');
        }
        body.append("]}\n");
        return new Reply(up ? 200 : 503, "application/json", body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private Reply metricsReply() throws IOException {
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out, metrics.registry().scrape());
        return new Reply(200, writer.getContentType(), out.toByteArray());
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 431 -> "Request Header Fields Too Large";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        workers.shutdownNow();
        deadlines.shutdownNow();
    }
}
