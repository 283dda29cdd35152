package dev.safelora.artifacts;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/** Builds artifact URIs from a root URI and a key such as {@code adapters/req-42/projected}. */
public final class ArtifactUris {

    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._=+@,-]+");

    private ArtifactUris() {}

    /**
     * {@code root} joined with {@code key}. Key segments are separated by '/', must be non-empty, not
     * {@code .} or {@code ..}, and use only letters, digits and {@code . _ = + @ , -}, so a key from a
     * request id can never escape the root.
     */
    public static URI child(URI root, String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("artifact key is empty");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || !SEGMENT.matcher(segment).matches()) {
                throw new IllegalArgumentException("artifact key '" + key + "' has an invalid segment '" + segment
                        + "' (allowed: letters, digits and . _ = + @ , -; no empty, '.' or '..' segments)");
            }
        }
        String base = root.toString();
        String joined = base.endsWith("/") ? base + key : base + "/" + key;
        try {
            return new URI(joined);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot form an artifact URI from '" + root + "' and '" + key + "'", e);
        }
    }
}
