package dev.safelora.stage;

/** A failure that may go away (a service down, a timeout): the record is retried with backoff, never dead-lettered. */
public class TransientException extends RuntimeException {

    public TransientException(String message) {
        super(message);
    }

    public TransientException(String message, Throwable cause) {
        super(message, cause);
    }
}
