package dev.safelora.http;

import java.util.Locale;
import java.util.Map;

/**
 * One parsed request. Before the body is read (see {@link HttpService#screen}) {@code body} is empty.
 *
 * @param method  as sent, e.g. {@code GET}
 * @param path    the raw (still percent-encoded) path of the target, e.g. {@code /subjects/a%2Fb/versions}
 * @param rawQuery the raw query after {@code ?}, or null
 * @param headers header names in lower case; a repeated header keeps its last value
 * @param body    the decoded body (Content-Length or chunked)
 */
public record HttpRequest(String method, String path, String rawQuery, Map<String, String> headers, byte[] body) {

    public HttpRequest {
        headers = Map.copyOf(headers);
    }

    /** The header's value, or null; {@code name} in any case. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    HttpRequest withBody(byte[] content) {
        return new HttpRequest(method, path, rawQuery, headers, content);
    }
}
