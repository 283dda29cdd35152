package dev.safelora.http;

import java.time.Duration;

/**
 * What one {@link NioHttpServer} allows a client.
 *
 * @param idleTimeout    longest silence while a request (head or body) is still arriving; the connection is closed after it
 * @param requestTimeout longest time from accepting a connection to having its complete request, however steadily it trickles
 * @param writeTimeout   longest time to deliver a response to a client that does not read it
 * @param maxHeadBytes   request line plus headers; larger heads get 431
 * @param maxBodyBytes   request body; larger bodies get 413 as soon as their length is known, before they are read
 * @param maxConnections connections still sending their request; past it the oldest is closed for the newcomer
 * @param workers        threads that answer complete requests (never used for reading)
 * @param queued         complete requests waiting for a worker; past it new ones are closed unanswered
 */
public record HttpLimits(Duration idleTimeout, Duration requestTimeout, Duration writeTimeout, int maxHeadBytes,
                         int maxBodyBytes, int maxConnections, int workers, int queued) {

    public HttpLimits {
        positive(idleTimeout, "idleTimeout");
        positive(requestTimeout, "requestTimeout");
        positive(writeTimeout, "writeTimeout");
        if (maxHeadBytes < 64 || maxBodyBytes < 0 || maxConnections < 1 || workers < 1 || queued < 1) {
            throw new IllegalArgumentException("HTTP limits out of range: " + this);
        }
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
        }
    }

    public HttpLimits withIdleTimeout(Duration d) {
        return new HttpLimits(d, requestTimeout, writeTimeout, maxHeadBytes, maxBodyBytes, maxConnections, workers, queued);
    }

    public HttpLimits withRequestTimeout(Duration d) {
        return new HttpLimits(idleTimeout, d, writeTimeout, maxHeadBytes, maxBodyBytes, maxConnections, workers, queued);
    }

    public HttpLimits withMaxBodyBytes(int bytes) {
        return new HttpLimits(idleTimeout, requestTimeout, writeTimeout, maxHeadBytes, bytes, maxConnections, workers, queued);
    }

    public HttpLimits withWorkers(int threads) {
        return new HttpLimits(idleTimeout, requestTimeout, writeTimeout, maxHeadBytes, maxBodyBytes, maxConnections, threads, queued);
    }
}
