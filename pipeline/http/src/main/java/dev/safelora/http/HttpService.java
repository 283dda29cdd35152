package dev.safelora.http;

import java.util.Optional;

/** What a {@link NioHttpServer} serves. */
public interface HttpService {

    /**
     * Decides from the head alone, before any of the body is read: an answer (e.g. 401, 404, 405) ends the
     * exchange there; empty reads the body and calls {@link #respond}. Runs on the selector thread: keep it cheap.
     */
    default Optional<HttpReply> screen(HttpRequest head) {
        return Optional.empty();
    }

    /** Answers a complete request, on one of the server's worker threads. */
    HttpReply respond(HttpRequest request) throws Exception;

    /** The answer for a request the server refuses by itself (400, 411, 413, 431, 500), in the service's own error format. */
    HttpReply refusal(int status, String message);
}
