package dev.safelora.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/**
 * TLS over a non-blocking channel with the JDK's {@link SSLEngine}: the handshake and the request are unwrapped on the
 * selector thread as records arrive (the connection's deadlines cover the handshake too), the response is wrapped
 * and written by the worker. The engine's delegated tasks (certificate checks) run inline: they take milliseconds.
 */
final class TlsTransport implements Transport {

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SocketChannel channel;
    private final SSLEngine engine;
    /** Bytes from the socket not yet unwrapped (write mode). */
    private ByteBuffer netIn;
    /** Decrypted bytes not yet handed out (read mode). */
    private final ByteBuffer appIn;
    /** Encrypted bytes not yet written (read mode). */
    private ByteBuffer netOut;
    private long received;

    TlsTransport(SocketChannel channel, HttpTls tls) throws SSLException {
        this.channel = channel;
        this.engine = tls.context().createSSLEngine();
        engine.setUseClientMode(false);
        engine.setNeedClientAuth(tls.needClientAuth());
        SSLSession session = engine.getSession();
        netIn = ByteBuffer.allocate(session.getPacketBufferSize());
        appIn = ByteBuffer.allocate(session.getApplicationBufferSize()).flip();
        netOut = ByteBuffer.allocate(session.getPacketBufferSize()).flip();
        engine.beginHandshake();
    }

    @Override
    public long received() {
        return received;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int before = dst.position();
        Transport.flush(channel, netOut);
        move(appIn, dst);
        boolean eof = false;
        if (dst.hasRemaining()) {
            int got = channel.read(netIn);
            eof = got < 0;
            if (got > 0) {
                received += got;
            }
            try {
                process(dst);
            } catch (SSLException e) {
                sendAlert();
                throw e;
            }
        }
        Transport.flush(channel, netOut);
        int added = dst.position() - before;
        return added == 0 && (eof || engine.isInboundDone()) ? -1 : added;
    }

    /** Runs the engine as far as the bytes at hand allow: handshake steps, then application data into {@code dst}. */
    private void process(ByteBuffer dst) throws IOException {
        while (true) {
            switch (engine.getHandshakeStatus()) {
                case NEED_TASK -> {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) {
                        task.run();
                    }
                }
                case NEED_WRAP -> {
                    SSLEngineResult r = wrap(EMPTY);
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        return;
                    }
                }
                default -> {
                    if (!unwrap(dst)) {
                        return;
                    }
                }
            }
        }
    }

    /** One unwrap; false when nothing more can be done until more bytes arrive or {@code dst} is emptied. */
    private boolean unwrap(ByteBuffer dst) throws IOException {
        SSLEngineResult r;
        netIn.flip();
        appIn.compact();
        try {
            r = engine.unwrap(netIn, appIn);
        } finally {
            netIn.compact();
            appIn.flip();
        }
        move(appIn, dst);
        return switch (r.getStatus()) {
            case OK -> r.bytesConsumed() > 0 || r.bytesProduced() > 0
                    || r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK
                    || r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP;
            case BUFFER_UNDERFLOW -> {
                if (!netIn.hasRemaining()) { // a record larger than the session announced
                    netIn = grow(netIn, engine.getSession().getPacketBufferSize());
                }
                yield false;
            }
            case BUFFER_OVERFLOW -> dst.hasRemaining() && !appIn.hasRemaining();
            case CLOSED -> false;
        };
    }

    /** One wrap of (part of) {@code src} onto {@link #netOut}. */
    private SSLEngineResult wrap(ByteBuffer src) throws SSLException {
        while (true) {
            netOut.compact();
            SSLEngineResult r;
            try {
                r = engine.wrap(src, netOut);
            } finally {
                netOut.flip();
            }
            if (r.getStatus() != SSLEngineResult.Status.BUFFER_OVERFLOW) {
                return r;
            }
            ByteBuffer bigger = ByteBuffer.allocate(netOut.capacity() + engine.getSession().getPacketBufferSize());
            bigger.put(netOut).flip();
            netOut = bigger;
        }
    }

    private static ByteBuffer grow(ByteBuffer writeMode, int by) {
        ByteBuffer bigger = ByteBuffer.allocate(writeMode.capacity() + by);
        writeMode.flip();
        bigger.put(writeMode);
        return bigger;
    }

    private static void move(ByteBuffer from, ByteBuffer to) {
        int n = Math.min(from.remaining(), to.remaining());
        if (n > 0) {
            ByteBuffer slice = from.slice();
            slice.limit(n);
            to.put(slice);
            from.position(from.position() + n);
        }
    }

    /** After a failed handshake the engine has an alert to send; the client learns why instead of seeing a reset. */
    private void sendAlert() {
        try {
            for (int i = 0; i < 4 && engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP; i++) {
                wrap(EMPTY);
            }
            Transport.flush(channel, netOut);
        } catch (IOException | RuntimeException ignored) {
            // the connection is closed next anyway
        }
    }

    @Override
    public void queue(ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            wrap(bytes);
        }
        Transport.flush(channel, netOut);
    }

    @Override
    public boolean wantsWrite() {
        return netOut.hasRemaining();
    }

    @Override
    public void writeFully(ByteBuffer bytes) throws IOException {
        Transport.drain(channel, netOut);
        while (bytes.hasRemaining()) {
            SSLEngineResult r = wrap(bytes);
            Transport.drain(channel, netOut);
            if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                throw new SSLException("TLS session closed before the response was written");
            }
        }
    }

    @Override
    public void closeOutbound() {
        try {
            engine.closeOutbound();
            wrap(EMPTY);
            Transport.flush(channel, netOut);
        } catch (IOException | RuntimeException ignored) {
            // closing anyway
        }
    }
}
