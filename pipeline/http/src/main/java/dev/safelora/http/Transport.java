package dev.safelora.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.LockSupport;

/**
 * The byte stream of one non-blocking connection: plain, or TLS ({@link TlsTransport}). Reads happen on the
 * selector thread and never block; the response is written by a worker, whose write deadline closes the channel
 * if the client stops reading.
 */
interface Transport {

    /** Moves what has arrived into {@code dst} without blocking: the number of bytes added, or -1 at end of stream. */
    int read(ByteBuffer dst) throws IOException;

    /** Bytes taken from the socket so far, before any decryption: what the idle timeout counts as activity. */
    long received();

    /** Queues {@code bytes} to go out with the next {@link #read} or {@link #writeFully} (e.g. 100 Continue). */
    void queue(ByteBuffer bytes) throws IOException;

    /** Whether queued bytes wait for the socket to accept them. */
    boolean wantsWrite();

    /** Writes queued bytes and then {@code bytes}, waiting for a slow reader (the write deadline ends a stall). */
    void writeFully(ByteBuffer bytes) throws IOException;

    /** Ends the stream politely where the protocol has a way (TLS close_notify); best effort. */
    void closeOutbound();

    /** Writes {@code out} to the channel without blocking; true once it is empty. */
    static boolean flush(SocketChannel channel, ByteBuffer out) throws IOException {
        while (out.hasRemaining()) {
            if (channel.write(out) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes all of {@code out}; the channel stays non-blocking, so a full socket buffer is waited out in short naps. */
    static void drain(SocketChannel channel, ByteBuffer out) throws IOException {
        while (!flush(channel, out)) {
            LockSupport.parkNanos(1_000_000);
            if (!channel.isOpen()) {
                throw new java.nio.channels.ClosedChannelException();
            }
        }
    }

    /** Plain TCP. */
    final class Plain implements Transport {
        private final SocketChannel channel;
        private ByteBuffer pending = ByteBuffer.allocate(0);

        Plain(SocketChannel channel) {
            this.channel = channel;
        }

        private long received;

        @Override
        public int read(ByteBuffer dst) throws IOException {
            flush(channel, pending);
            int n = dst.hasRemaining() ? channel.read(dst) : 0;
            if (n > 0) {
                received += n;
            }
            return n;
        }

        @Override
        public long received() {
            return received;
        }

        @Override
        public void queue(ByteBuffer bytes) throws IOException {
            ByteBuffer more = ByteBuffer.allocate(pending.remaining() + bytes.remaining());
            more.put(pending).put(bytes).flip();
            pending = more;
            flush(channel, pending);
        }

        @Override
        public boolean wantsWrite() {
            return pending.hasRemaining();
        }

        @Override
        public void writeFully(ByteBuffer bytes) throws IOException {
            drain(channel, pending);
            drain(channel, bytes);
        }

        @Override
        public void closeOutbound() {
            // nothing beyond closing the socket
        }
    }
}
