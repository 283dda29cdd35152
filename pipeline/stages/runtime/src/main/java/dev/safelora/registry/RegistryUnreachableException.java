package dev.safelora.registry;

/** No usable answer from the registry after every allowed attempt (connection errors, timeouts or 5xx). */
public final class RegistryUnreachableException extends RegistryException {

    private final String url;
    private final int attempts;

    public RegistryUnreachableException(String url, int attempts, String detail, Throwable cause) {
        super("schema registry at " + url + " unreachable after " + attempts + (attempts == 1 ? " attempt" : " attempts")
                + ": " + detail, cause);
        this.url = url;
        this.attempts = attempts;
    }

    public String url() {
        return url;
    }

    public int attempts() {
        return attempts;
    }
}
