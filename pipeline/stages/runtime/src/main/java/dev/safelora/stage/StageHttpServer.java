package dev.safelora.stage;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One HTTP port per process: {@code /metrics} (Prometheus text format of {@link StageMetrics}) and
 * {@code /health} (200 when every watched loop is alive and polling, 503 otherwise, with a small JSON
 * body saying which).
 */
public final class StageHttpServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;
    private final StageMetrics metrics;
    private final List<StageHealth> watched = new CopyOnWriteArrayList<>();

    private StageHttpServer(HttpServer server, ExecutorService executor, StageMetrics metrics) {
        this.server = server;
        this.executor = executor;
        this.metrics = metrics;
    }

    /** Starts serving on {@code port} on all interfaces (0 = any free port; see {@link #port()}). */
    public static StageHttpServer start(int port, StageMetrics metrics) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
            ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "stage-http");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            StageHttpServer s = new StageHttpServer(server, executor, metrics);
            server.createContext("/metrics", new MetricsHandler(metrics.registry()));
            server.createContext("/health", s::health);
            server.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics and health on port " + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public StageMetrics metrics() {
        return metrics;
    }

    /** Serves {@code handler} under {@code path} too (a stage's own pages, e.g. {@code /audit/}). */
    public void route(String path, com.sun.net.httpserver.HttpHandler handler) {
        server.createContext(path, handler);
    }

    /** Adds a loop to what {@code /health} reports. */
    public void watch(StageHealth health) {
        watched.add(health);
    }

    private void health(HttpExchange ex) throws IOException {
        try (ex) {
            boolean up = !watched.isEmpty() && watched.stream().allMatch(StageHealth::healthy);
            StringBuilder body = new StringBuilder("{\"status\":\"").append(up ? "UP" : "DOWN").append("\",\"stages\":[");
            for (int i = 0; i < watched.size(); i++) {
                StageHealth h = watched.get(i);
                body.append(i == 0 ? "" : ",").append("{\"stage\":\"").append(h.stage()).append("\",\"healthy\":")
                        .append(h.healthy()).append(",\"lastPollAgeMs\":").append(h.lastPollAgeMillis()).append('}');
            }
            body.append("]}\n");
            byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(up ? 200 : 503, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
