package dev.safelora.artifacts;

import java.io.IOException;

/**
 * A remote artifact store (S3 or an S3-compatible one) refused or could not complete a call, after its own
 * retries. {@code status} is the HTTP status of the last answer, 0 when none came (connection refused, timeout,
 * no credentials); {@code code} is the store's error code ({@code SlowDown}, {@code AccessDenied}, ...) or empty.
 * {@link #retryable()} says whether trying the whole job again later may succeed: throttling, server errors and
 * network failures may pass, a refused signature or a missing permission will not until someone acts.
 */
public final class RemoteStoreException extends IOException {

    private final int status;
    private final String code;
    private final int attempts;
    private final boolean retryable;

    public RemoteStoreException(String message, int status, String code, int attempts, boolean retryable, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code == null ? "" : code;
        this.attempts = attempts;
        this.retryable = retryable;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** How many times the store's client sent the call before giving up (its retry policy), at least 1. */
    public int attempts() {
        return attempts;
    }

    public boolean retryable() {
        return retryable;
    }
}
