package dev.safelora.artifacts;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The strict syntax of an artifact URI, the same for every store: absolute and hierarchical, no user
 * information, no port, no query or fragment, no dot segments (literal or percent-encoded), no encoded
 * separators or NUL, no empty segment inside the path. Whatever a record says, the URI that reaches a store
 * names one path under its authority, and comparing two such URIs segment by segment is comparing locations.
 *
 * <p>Each refusal is an {@link IllegalArgumentException} whose message is one line naming the rule.
 */
public final class ArtifactUriSyntax {

    /** S3 bucket names (the AWS rules for new buckets, lower case, 3 to 63 characters). */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern USERINFO = Pattern.compile("//[^/?#]*@");
    private static final Pattern ENCODED_FORBIDDEN = Pattern.compile("(?i)%(2f|5c|00)");

    private ArtifactUriSyntax() {}

    /** Parses {@code text} and applies every rule; the URI returned is exactly what was given. */
    public static URI parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("artifact URI is empty");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + USERINFO.matcher(text).replaceFirst("//***@") + "' is not a URI ("
                    + e.getReason() + " at index " + e.getIndex() + ")");
        }
        check(uri);
        return uri;
    }

    /** Applies every rule to an already parsed URI; returns it. */
    public static URI check(URI uri) {
        String shown = shown(uri);
        if (uri.getScheme() == null) {
            throw new IllegalArgumentException("'" + shown + "' has no scheme (use file:///... or s3://bucket/...)");
        }
        if (uri.isOpaque() || uri.getRawPath() == null) {
            throw new IllegalArgumentException("'" + shown + "' is not a hierarchical URI (use file:///... or s3://bucket/...)");
        }
        if (uri.getRawUserInfo() != null || (uri.getRawAuthority() != null && uri.getRawAuthority().contains("@"))) {
            throw new IllegalArgumentException("'" + shown + "' carries user information; credentials belong in the store's"
                    + " configuration, never in a URI");
        }
        if (uri.getPort() != -1 || (uri.getRawAuthority() != null && uri.getRawAuthority().contains(":"))) {
            throw new IllegalArgumentException("'" + shown + "' names a port; artifact URIs name a bucket or a local path only");
        }
        if (uri.getRawQuery() != null) {
            throw new IllegalArgumentException("'" + shown + "' has a query ('?...'); artifact URIs have none");
        }
        if (uri.getRawFragment() != null) {
            throw new IllegalArgumentException("'" + shown + "' has a fragment ('#...'); artifact URIs have none");
        }
        String rawPath = uri.getRawPath();
        if (ENCODED_FORBIDDEN.matcher(rawPath).find() || rawPath.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("'" + shown + "' has an encoded separator, a backslash or NUL in its path");
        }
        List<String> segments = segments(rawPath);
        for (int i = 0; i < segments.size(); i++) {
            String decoded = decode(segments.get(i));
            if (decoded.equals(".") || decoded.equals("..")) {
                throw new IllegalArgumentException("'" + shown + "' has a dot segment ('" + segments.get(i)
                        + "'); give the path without . or .. parts");
            }
            if (decoded.isEmpty()) {
                throw new IllegalArgumentException("'" + shown + "' has an empty path segment ('//')");
            }
        }
        if ("s3".equals(uri.getScheme().toLowerCase(Locale.ROOT))) {
            String bucket = uri.getRawAuthority();
            if (bucket == null || !BUCKET.matcher(bucket).matches()) {
                throw new IllegalArgumentException("'" + shown + "' does not name a valid bucket (lower-case letters, digits,"
                        + " '.' and '-', 3 to 63 characters)");
            }
        }
        return uri;
    }

    /**
     * Whether {@code uri} is {@code root} or lies below it, compared syntactically: same scheme, same
     * authority, and the root's path segments a prefix of the URI's. Both must pass {@link #check}. This is the
     * whole answer for object stores (bucket and key prefix); a file store also resolves symbolic links.
     */
    public static boolean isUnder(URI root, URI uri) {
        check(root);
        check(uri);
        if (!root.getScheme().equalsIgnoreCase(uri.getScheme())) {
            return false;
        }
        String ra = root.getRawAuthority() == null ? "" : root.getRawAuthority();
        String ua = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
        if (!ra.equalsIgnoreCase(ua)) {
            return false;
        }
        List<String> rs = segments(root.getRawPath());
        List<String> us = segments(uri.getRawPath());
        if (rs.size() > us.size()) {
            return false;
        }
        for (int i = 0; i < rs.size(); i++) {
            if (!decode(rs.get(i)).equals(decode(us.get(i)))) {
                return false;
            }
        }
        return true;
    }

    /** The path's segments, without the leading '/' and a trailing '/'. */
    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        String p = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty()) {
            return out;
        }
        for (String s : p.split("/", -1)) {
            out.add(s);
        }
        return out;
    }

    private static String decode(String segment) {
        if (segment.indexOf('%') < 0) {
            return segment;
        }
        try {
            return new URI("x:/" + segment).getPath().substring(1);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad percent-encoding in path segment '" + segment + "'");
        }
    }

    /** The URI as it may be shown in an error: without user information (a password must not reach a log line). */
    public static String shown(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri.toString();
        }
        return uri.toString().replace(uri.getRawUserInfo() + "@", "***@");
    }
}
