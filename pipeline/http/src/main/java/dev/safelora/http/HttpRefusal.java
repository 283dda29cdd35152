package dev.safelora.http;

/** A request the server answers itself with {@code status} (and {@link HttpService#refusal}) instead of serving it. */
final class HttpRefusal extends Exception {

    final int status;

    HttpRefusal(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }
}
