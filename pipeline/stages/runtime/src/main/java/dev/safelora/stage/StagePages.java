package dev.safelora.stage;

import java.util.Map;

/** A stage loop that also serves pages (read-only) on the process's HTTP port, beside /metrics and /health. */
public interface StagePages {

    /** Path prefix (e.g. {@code /audit/}) to page. */
    Map<String, Page> pages();

    /** A read-only page: answers a GET for a path under its prefix; runs on the server's bounded worker pool. */
    @FunctionalInterface
    interface Page {
        Response get(String rawPath) throws Exception;
    }

    /** What a page answers; pages are served with a restrictive Content-Security-Policy and nosniff. */
    record Response(int status, String contentType, byte[] body) {
        public static Response text(int status, String contentType, String body) {
            return new Response(status, contentType, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }
}
