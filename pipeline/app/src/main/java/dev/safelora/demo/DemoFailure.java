package dev.safelora.demo;

/** The demo cannot complete: a stage reported a failure, a record was dead-lettered, or time ran out. */
public final class DemoFailure extends RuntimeException {

    public DemoFailure(String message) {
        super(message);
    }

    public DemoFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
