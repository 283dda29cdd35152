package dev.safelora.http;

import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * HTTPS for a {@link NioHttpServer}.
 *
 * @param context        the server's key material and, for client authentication, what it trusts
 * @param needClientAuth clients must present a certificate the context trusts
 */
public record HttpTls(SSLContext context, boolean needClientAuth) {
    public HttpTls {
        Objects.requireNonNull(context, "context");
    }
}
