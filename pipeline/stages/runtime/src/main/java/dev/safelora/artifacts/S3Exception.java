package dev.safelora.artifacts;

import java.io.IOException;

/** An S3 error answer: HTTP status plus the S3 error code and message from the XML body. */
public final class S3Exception extends IOException {

    private final int status;
    private final String code;

    public S3Exception(String operation, int status, String code, String message) {
        super(operation + " failed: HTTP " + status + (code.isEmpty() ? "" : " " + code) + (message.isEmpty() ? "" : ": " + message));
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** Throttling and server errors are worth retrying; client errors are not. */
    public boolean retryable() {
        return status == 429 || status >= 500;
    }
}
