package dev.safelora.artifacts;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * An object or key prefix in an S3 bucket, parsed strictly from {@code s3://bucket/key}: no user information,
 * no port, no query or fragment, a bucket name by the AWS rules, and a key without empty, {@code .} or
 * {@code ..} segments (literal or percent-encoded), encoded separators, backslashes or control characters.
 * A URI that passes names exactly one place, so the store never sends a raw authority it did not check, and
 * comparing locations ({@link #contains}) is comparing buckets and key segments. Every refusal is an
 * {@link IllegalArgumentException} with one line naming the rule (never the user information).
 *
 * @param bucket the bucket name
 * @param key    the key without leading or trailing '/', empty for the whole bucket
 */
public record S3Location(String bucket, String key) {

    /** S3 bucket names: lower-case letters, digits, '.' and '-', 3 to 63 characters, letter or digit at both ends. */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern ENCODED_FORBIDDEN = Pattern.compile("(?i)%(2f|5c|00)");
    private static final int MAX_KEY_BYTES = 1024;

    public S3Location {
        if (bucket == null || !BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
            throw new IllegalArgumentException("'" + bucket + "' is not a valid bucket name (lower-case letters, digits, '.'"
                    + " and '-', 3 to 63 characters)");
        }
        if (key == null) {
            key = "";
        }
        checkKey(key, "s3://" + bucket + "/" + key);
    }

    /** Parses {@code text}; see the class comment for the rules. */
    public static S3Location parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("S3 URI is empty (use s3://bucket/key)");
        }
        try {
            return parse(new URI(text));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + masked(text) + "' is not a URI (" + e.getReason() + " at index " + e.getIndex() + ")");
        }
    }

    public static S3Location parse(URI uri) {
        String shown = shown(uri);
        if (!"s3".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("'" + shown + "' is not an s3:// URI");
        }
        String authority = uri.getRawAuthority();
        if (uri.isOpaque() || authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException("'" + shown + "' has no bucket (use s3://bucket/key)");
        }
        if (uri.getRawUserInfo() != null || authority.contains("@")) {
            throw new IllegalArgumentException("'" + shown + "' carries user information; S3 credentials come from the"
                    + " environment (the AWS default credentials chain), never from a URI");
        }
        if (uri.getPort() != -1 || authority.contains(":")) {
            throw new IllegalArgumentException("'" + shown + "' names a port; an s3:// URI names a bucket, the endpoint is"
                    + " configured (AWS_ENDPOINT_URL_S3)");
        }
        if (uri.getRawQuery() != null) {
            throw new IllegalArgumentException("'" + shown + "' has a query ('?...'); s3:// artifact URIs have none");
        }
        if (uri.getRawFragment() != null) {
            throw new IllegalArgumentException("'" + shown + "' has a fragment ('#...'); s3:// artifact URIs have none");
        }
        String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (ENCODED_FORBIDDEN.matcher(rawPath).find()) {
            throw new IllegalArgumentException("'" + shown + "' has an encoded '/', '\\' or NUL in its key");
        }
        // Segments are judged on the raw path so that an encoded dot segment (%2e%2e) is caught after decoding.
        String raw = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        if (raw.endsWith("/")) {
            raw = raw.substring(0, raw.length() - 1);
        }
        StringBuilder key = new StringBuilder();
        if (!raw.isEmpty()) {
            for (String segment : raw.split("/", -1)) {
                String decoded = decode(segment, shown);
                checkSegment(decoded, segment, shown);
                key.append(key.length() == 0 ? "" : "/").append(decoded);
            }
        }
        try {
            return new S3Location(authority, key.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + shown + "': " + e.getMessage());
        }
    }

    private static void checkKey(String key, String shown) {
        if (key.isEmpty()) {
            return;
        }
        if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("'" + shown + "' has a key longer than S3's 1024 bytes");
        }
        for (String segment : key.split("/", -1)) {
            checkSegment(segment, segment, shown);
        }
    }

    private static void checkSegment(String decoded, String raw, String shown) {
        if (decoded.isEmpty()) {
            throw new IllegalArgumentException("'" + shown + "' has an empty key segment ('//')");
        }
        if (decoded.equals(".") || decoded.equals("..")) {
            throw new IllegalArgumentException("'" + shown + "' has a dot segment ('" + raw + "'); give the key without . or .. parts");
        }
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                throw new IllegalArgumentException("'" + shown + "' has a control character or backslash in its key");
            }
        }
    }

    private static String decode(String segment, String shown) {
        if (segment.indexOf('%') < 0) {
            return segment;
        }
        try {
            return new URI("x:/" + segment).getPath().substring(1);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + shown + "' has bad percent-encoding in its key");
        }
    }

    /** The last key segment (the file or directory name); empty for a bucket. */
    public String name() {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    /** Whether {@code other} is this location or below it: the same bucket and this key a segment prefix of its key. */
    public boolean contains(S3Location other) {
        return bucket.equals(other.bucket)
                && (key.isEmpty() || other.key.equals(key) || other.key.startsWith(key + "/"));
    }

    /** {@code s3://bucket/key}, the key percent-encoded where a URI needs it; {@code s3://bucket/} for a bucket. */
    public URI toUri() {
        return toUri(false);
    }

    /** As {@link #toUri()}, with a trailing '/' (a listing's common prefix). */
    public URI toPrefixUri() {
        return toUri(true);
    }

    private URI toUri(boolean prefix) {
        try {
            String path = "/" + key + (prefix && !key.isEmpty() ? "/" : "");
            return new URI("s3", bucket, path, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot form an s3 URI for bucket " + bucket, e);
        }
    }

    /** The URI as it may appear in an error: its user information, if any, masked. */
    public static String shown(URI uri) {
        return uri.getRawUserInfo() == null ? uri.toString() : uri.toString().replace(uri.getRawUserInfo() + "@", "***@");
    }

    private static String masked(String text) {
        return text.replaceFirst("//[^/?#]*@", "//***@");
    }
}
