package dev.safelora.stage;

import dev.safelora.http.HttpLimits;
import dev.safelora.http.HttpReply;
import dev.safelora.http.HttpRequest;
import dev.safelora.http.HttpService;
import dev.safelora.http.NioHttpServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One HTTP port per process: {@code GET /metrics} (Prometheus text format of {@link StageMetrics}) and
 * {@code GET /health} (200 when every watched loop is alive and polling, 503 otherwise, with a small JSON body
 * saying which), plus the pages a stage {@linkplain #route routes}. Nothing else: other paths are 404, other methods
 * 405, and no request body is read (any declared body is answered 413 unless the head was refused first).
 *
 * <p>Served by the shared {@link NioHttpServer}: each connection has {@link #READ_TIMEOUT} to deliver its head,
 * idle or slow ones are closed, and only complete heads reach the small worker pool, so idle or slow clients
 * cannot starve a liveness probe (two slow-header connections used to block {@code /health} for 75 s).
 */
public final class StageHttpServer implements AutoCloseable {

    static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_HEAD_BYTES = 8192;
    /** Probes and scrapes: a head in 5 s, no body, two workers. */
    static final HttpLimits LIMITS = new HttpLimits(READ_TIMEOUT, READ_TIMEOUT, Duration.ofSeconds(10), MAX_HEAD_BYTES, 0, 128, 2, 32);

    private static final String PAGE_HEADERS_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

    private final StageMetrics metrics;
    private final List<StageHealth> watched = new CopyOnWriteArrayList<>();
    private final Map<String, StagePages.Page> pages = new ConcurrentHashMap<>();
    private NioHttpServer http;

    private StageHttpServer(StageMetrics metrics) {
        this.metrics = metrics;
    }

    /** Starts serving on {@code port} on all interfaces (0 = any free port; see {@link #port()}). */
    public static StageHttpServer start(int port, StageMetrics metrics) {
        return start("0.0.0.0", port, metrics);
    }

    /** Starts serving on {@code host}:{@code port} ({@code stage.metrics.bind}; 0 = any free port). */
    public static StageHttpServer start(String host, int port, StageMetrics metrics) {
        StageHttpServer s = new StageHttpServer(metrics);
        try {
            s.http = NioHttpServer.start("stage", host, port, LIMITS, s.new Service(), null);
        } catch (java.io.UncheckedIOException e) {
            throw new java.io.UncheckedIOException("cannot serve metrics and health on " + host + ":" + port + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
        return s;
    }

    public int port() {
        return http.port();
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

    private final class Service implements HttpService {

        @Override
        public Optional<HttpReply> screen(HttpRequest head) {
            String path = head.path();
            boolean known = page(path) != null || path.equals("/health") || path.equals("/metrics");
            if (!known) {
                return Optional.of(HttpReply.text(404, "not found (this port serves GET /health and GET /metrics)\n"));
            }
            if (!head.method().equals("GET")) {
                return Optional.of(HttpReply.text(405, "method not allowed (GET only)\n").withHeader("Allow", "GET"));
            }
            return Optional.empty();
        }

        @Override
        public HttpReply respond(HttpRequest request) throws IOException {
            StagePages.Page page = page(request.path());
            if (page != null) {
                return pageReply(page, request.path());
            }
            return request.path().equals("/health") ? health() : metricsReply();
        }

        @Override
        public HttpReply refusal(int status, String message) {
            return HttpReply.text(status, message + "\n");
        }
    }

    private StagePages.Page page(String path) {
        return pages.entrySet().stream().filter(e -> path.startsWith(e.getKey())).map(Map.Entry::getValue).findFirst().orElse(null);
    }

    private static HttpReply pageReply(StagePages.Page page, String path) {
        try {
            StagePages.Response r = page.get(path);
            return new HttpReply(r.status(), r.contentType(), r.body(),
                    Map.of("Content-Security-Policy", PAGE_HEADERS_CSP, "X-Content-Type-Options", "nosniff"));
        } catch (Exception e) {
            return HttpReply.text(500, "the page failed\n");
        }
    }

    private HttpReply health() {
        boolean up = !watched.isEmpty() && watched.stream().allMatch(StageHealth::healthy);
        StringBuilder body = new StringBuilder("{\"status\":\"").append(up ? "UP" : "DOWN").append("\",\"stages\":[");
        for (int i = 0; i < watched.size(); i++) {
            StageHealth h = watched.get(i);
            body.append(i == 0 ? "" : ",").append("{\"stage\":\"").append(h.stage()).append("\",\"healthy\":")
                    .append(h.healthy()).append(",\"lastPollAgeMs\":").append(h.lastPollAgeMillis()).append('}');
        }
        body.append("]}\n");
        return new HttpReply(up ? 200 : 503, "application/json", body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private HttpReply metricsReply() throws IOException {
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out, metrics.registry().scrape());
        return new HttpReply(200, writer.getContentType(), out.toByteArray());
    }

    @Override
    public void close() {
        http.close();
    }
}
