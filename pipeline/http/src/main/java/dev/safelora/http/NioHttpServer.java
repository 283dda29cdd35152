package dev.safelora.http;

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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A small HTTP/1.1 server that slow or idle clients cannot starve, shared by the stages' metrics/health port and the
 * in-process schema registry.
 *
 * <p>One selector thread reads every connection without blocking: the TLS handshake, the head and the body (Content-Length
 * or chunked) arrive into bounded buffers, each connection is closed after {@link HttpLimits#idleTimeout} of silence or
 * {@link HttpLimits#requestTimeout} in all, a declared body over {@link HttpLimits#maxBodyBytes} is answered 413 before
 * any of it is read, and at most {@link HttpLimits#maxConnections} are open (the oldest is dropped for a new one). Only
 * complete requests reach the small bounded worker pool, and a response that the client does not read is abandoned after
 * {@link HttpLimits#writeTimeout}. One request per connection ({@code Connection: close}).
 *
 * <p>Hand-written rather than the JDK's {@code HttpServer}, which reads heads and bodies on its worker threads with no
 * deadline (four connections holding unfinished bodies blocked the registry for 90 s; two slow heads blocked a stage's
 * {@code /health} for 75 s), and rather than Jetty or Netty, whose versions would clash with the ones S3Proxy and the
 * AWS SDK bring to the class path.
 */
public final class NioHttpServer implements AutoCloseable {

    private final String name;
    private final HttpLimits limits;
    private final HttpService service;
    private final HttpTls tls;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final ThreadPoolExecutor workers;
    private final ScheduledThreadPoolExecutor deadlines;
    private final Thread selectorThread;
    /** Connections still delivering their request, oldest first; touched by the selector thread only. */
    private final Deque<SelectionKey> open = new ArrayDeque<>();
    /** Connections answered before their body was read, whose rest is read and dropped for a while; selector thread only. */
    private final Deque<SelectionKey> draining = new ArrayDeque<>();
    /** Answered connections that workers hand back to the selector for draining. */
    private final java.util.Queue<SocketChannel> toDrain = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final ByteBuffer discard = ByteBuffer.allocate(1 << 16);
    private volatile boolean closed;

    /** One connection while its request arrives. */
    private static final class Connection {
        final SocketChannel channel;
        final Transport transport;
        final RequestReader reader;
        final long acceptedNanos = System.nanoTime();
        long lastReadNanos = acceptedNanos;
        long receivedAtLastRead;
        boolean screened;

        Connection(SocketChannel channel, Transport transport, RequestReader reader) {
            this.channel = channel;
            this.transport = transport;
            this.reader = reader;
        }
    }

    private interface ReplySource {
        HttpReply get() throws Exception;
    }

    /**
     * A connection answered early (a refusal from the head, or 413) while the client may still be sending: closing it
     * with unread bytes would make the kernel send a reset, and the client could lose the answer. So the server reads
     * and drops what follows, up to {@link #LINGER_BYTES} or {@link #LINGER}, and closes when the client does.
     */
    private static final class Drain {
        final long deadlineNanos = System.nanoTime() + LINGER.toNanos();
        long dropped;
    }

    static final java.time.Duration LINGER = java.time.Duration.ofSeconds(2);
    static final long LINGER_BYTES = 1 << 20;

    private NioHttpServer(String name, HttpLimits limits, HttpService service, HttpTls tls, ServerSocketChannel server, Selector selector) {
        this.name = name;
        this.limits = limits;
        this.service = service;
        this.tls = tls;
        this.server = server;
        this.selector = selector;
        this.workers = new ThreadPoolExecutor(limits.workers(), limits.workers(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(limits.queued()), r -> daemon(r, name + "-http"));
        this.deadlines = new ScheduledThreadPoolExecutor(1, r -> daemon(r, name + "-http-deadlines"));
        deadlines.setRemoveOnCancelPolicy(true);
        this.selectorThread = daemon(this::selectLoop, name + "-http-selector");
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Listens on {@code host}:{@code port} (0 = any free port, see {@link #port()}) and serves {@code service};
     * {@code tls} null for plain HTTP. {@code name} names the threads.
     */
    public static NioHttpServer start(String name, String host, int port, HttpLimits limits, HttpService service, HttpTls tls) {
        try {
            ServerSocketChannel server = ServerSocketChannel.open();
            try {
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                server.bind(new InetSocketAddress(host, port), 64);
                server.configureBlocking(false);
                Selector selector = Selector.open();
                server.register(selector, SelectionKey.OP_ACCEPT);
                NioHttpServer s = new NioHttpServer(name, limits, service, tls, server, selector);
                s.selectorThread.start();
                return s;
            } catch (IOException | RuntimeException e) {
                server.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    public HttpLimits limits() {
        return limits;
    }

    private void selectLoop() {
        long tickMillis = Math.max(10, Math.min(250, limits.idleTimeout().toMillis() / 4));
        while (!closed) {
            try {
                selector.select(tickMillis);
                adoptDrains();
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else if (key.attachment() instanceof Drain drain) {
                        drain(key, drain);
                    } else if (key.isReadable() || key.isWritable()) {
                        ready(key);
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
            try {
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Transport transport = tls == null ? new Transport.Plain(channel) : new TlsTransport(channel, tls);
                open.removeIf(k -> !k.isValid());
                if (open.size() >= limits.maxConnections()) {
                    drop(open.pollFirst()); // the oldest is the most likely to be idle or slow on purpose
                }
                open.addLast(channel.register(selector, SelectionKey.OP_READ, new Connection(channel, transport, new RequestReader(limits))));
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
            }
        }
    }

    /** Reads what the connection has sent; hands a complete request (or a refusal) to a worker. */
    private void ready(SelectionKey key) {
        Connection c = (Connection) key.attachment();
        try {
            int n;
            do {
                n = c.transport.read(c.reader.input());
                if (n < 0) {
                    drop(key);
                    return;
                }
                if (c.transport.received() > c.receivedAtLastRead) { // raw bytes: a TLS handshake is not silence
                    c.receivedAtLastRead = c.transport.received();
                    c.lastReadNanos = System.nanoTime();
                }
                c.reader.advance();
                HttpRequest head = c.reader.head();
                if (head != null && !c.screened) {
                    c.screened = true;
                    Optional<HttpReply> early = service.screen(head);
                    if (early.isPresent()) {
                        HttpReply reply = early.get();
                        hand(key, c, () -> reply, !c.reader.done());
                        return;
                    }
                    c.reader.advance(); // the body: refused here when its declared length is over the cap
                    if (!c.reader.done() && "100-continue".equalsIgnoreCase(head.header("expect"))) {
                        c.transport.queue(ByteBuffer.wrap("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
                    }
                }
                if (c.reader.done()) {
                    HttpRequest request = c.reader.request();
                    hand(key, c, () -> service.respond(request), false);
                    return;
                }
            } while (n > 0);
            key.interestOps(c.transport.wantsWrite() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        } catch (HttpRefusal refusal) {
            hand(key, c, () -> service.refusal(refusal.status, refusal.getMessage()), true);
        } catch (IOException | RuntimeException e) {
            drop(key);
        }
    }

    /** Registers connections workers handed back for draining (their old keys were cancelled a selection ago). */
    private void adoptDrains() {
        SocketChannel channel;
        while ((channel = toDrain.poll()) != null) {
            try {
                draining.removeIf(k -> !k.isValid());
                if (draining.size() >= limits.maxConnections()) {
                    drop(draining.pollFirst());
                }
                draining.addLast(channel.register(selector, SelectionKey.OP_READ, new Drain()));
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
            }
        }
    }

    private void drain(SelectionKey key, Drain drain) {
        SocketChannel channel = (SocketChannel) key.channel();
        try {
            int n;
            do {
                discard.clear();
                n = channel.read(discard);
                drain.dropped += Math.max(n, 0);
            } while (n > 0 && drain.dropped <= LINGER_BYTES);
            if (n < 0 || drain.dropped > LINGER_BYTES) {
                draining.remove(key);
                drop(key);
            }
        } catch (IOException | RuntimeException e) {
            draining.remove(key);
            drop(key);
        }
    }

    /** Closes connections that went silent, or have taken too long in all, before completing their request. */
    private void expire() {
        long now = System.nanoTime();
        for (Iterator<SelectionKey> it = draining.iterator(); it.hasNext(); ) {
            SelectionKey key = it.next();
            if (!key.isValid() || now - ((Drain) key.attachment()).deadlineNanos > 0) {
                it.remove();
                drop(key);
            }
        }
        long idle = limits.idleTimeout().toNanos();
        long total = limits.requestTimeout().toNanos();
        for (Iterator<SelectionKey> it = open.iterator(); it.hasNext(); ) {
            SelectionKey key = it.next();
            if (!key.isValid()) {
                it.remove();
                continue;
            }
            Connection c = (Connection) key.attachment();
            if (now - c.lastReadNanos > idle || now - c.acceptedNanos > total) {
                it.remove();
                drop(key);
            }
        }
    }

    /** {@code unread}: the client may still be sending a body that was not read (see {@link Drain}). */
    private void hand(SelectionKey key, Connection c, ReplySource source, boolean unread) {
        key.cancel();
        open.remove(key);
        try {
            workers.execute(new Answer(c, source, unread));
        } catch (RejectedExecutionException e) {
            closeQuietly(c.channel); // more complete requests waiting than the pool serves: shed this one
        }
    }

    /** A worker's task; a class, not a lambda, so that {@link #close} can close the channels of tasks it discards. */
    private final class Answer implements Runnable {
        final Connection connection;
        private final ReplySource source;
        private final boolean unread;

        Answer(Connection connection, ReplySource source, boolean unread) {
            this.connection = connection;
            this.source = source;
            this.unread = unread;
        }

        @Override
        public void run() {
            answer(connection, source, unread);
        }
    }

    private void answer(Connection c, ReplySource source, boolean unread) {
        ScheduledFuture<?> deadline = null;
        boolean drain = false;
        try {
            HttpReply reply;
            try {
                reply = source.get();
            } catch (Exception e) {
                reply = service.refusal(500, "internal error");
            }
            // A client that does not read its response must not hold a worker: close it when the time is up.
            deadline = deadlines.schedule(() -> closeQuietly(c.channel), limits.writeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            c.transport.writeFully(ByteBuffer.wrap(render(reply)));
            c.transport.closeOutbound();
            if (unread && !closed) {
                c.channel.shutdownOutput(); // the answer is complete; what the client still sends is read and dropped
                drain = true;
            }
        } catch (IOException | RuntimeException e) {
            // the client went away or took too long: nothing to tell it
        } finally {
            if (deadline != null) {
                deadline.cancel(false);
            }
            if (drain && c.channel.isOpen()) {
                toDrain.add(c.channel);
                selector.wakeup();
                if (closed) {
                    closeQuietly(c.channel); // close() may have emptied toDrain before this one arrived
                }
            } else {
                closeQuietly(c.channel);
            }
        }
    }

    private static byte[] render(HttpReply reply) {
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(reply.status()).append(' ').append(reason(reply.status())).append("\r\n")
                .append("Content-Type: ").append(reply.contentType()).append("\r\n")
                .append("Content-Length: ").append(reply.body().length).append("\r\n");
        for (Map.Entry<String, String> h : reply.headers().entrySet()) {
            head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        byte[] top = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[top.length + reply.body().length];
        System.arraycopy(top, 0, all, 0, top.length);
        System.arraycopy(reply.body(), 0, all, top.length, reply.body().length);
        return all;
    }

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 413 -> "Payload Too Large";
            case 422 -> "Unprocessable Entity";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }

    private static void drop(SelectionKey key) {
        if (key != null) {
            key.cancel();
            closeQuietly(key.channel());
        }
    }

    private static void closeQuietly(java.io.Closeable channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Stops accepting, closes connections still sending, and gives answers in progress a second to finish. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        selector.wakeup();
        try {
            selectorThread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<SelectionKey> left = new ArrayList<>();
        try {
            left.addAll(selector.keys());
        } catch (ClosedSelectorException ignored) {
            // nothing left
        }
        left.forEach(NioHttpServer::drop);
        toDrain.forEach(NioHttpServer::closeQuietly);
        closeQuietly(selector);
        closeQuietly(server);
        workers.shutdown();
        try {
            if (!workers.awaitTermination(1, TimeUnit.SECONDS)) {
                closeDiscarded(workers.shutdownNow());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeDiscarded(workers.shutdownNow());
        }
        deadlines.shutdownNow();
    }

    private static void closeDiscarded(List<Runnable> tasks) {
        for (Runnable task : tasks) {
            if (task instanceof Answer a) {
                closeQuietly(a.connection.channel);
            }
        }
    }

    @Override
    public String toString() {
        return name + " HTTP server on port " + port();
    }
}
