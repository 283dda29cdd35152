package dev.safelora.artifacts;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import dev.safelora.files.Digests;

/**
 * AWS Signature Version 4 for header-based authentication (the S3 flavour: the path is taken as already
 * URI-encoded and is not encoded a second time).
 */
public final class SigV4Signer {

    public static final String ALGORITHM = "AWS4-HMAC-SHA256";
    public static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    public static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final String region;
    private final String service;

    public SigV4Signer(String region, String service) {
        this.region = region;
        this.service = service;
    }

    /**
     * The headers to add to a request so that it is signed: {@code x-amz-date}, {@code x-amz-content-sha256},
     * {@code x-amz-security-token} (with a session token) and {@code Authorization}. Every header in
     * {@code headers} is signed, plus {@code host} (from the URI, with the port unless it is the default).
     *
     * @param uri the request URI with its path and query already URI-encoded
     */
    public Map<String, String> sign(String method, URI uri, Map<String, String> headers, String payloadSha256,
                                    Instant time, AwsCredentials credentials) {
        String amzDate = AMZ_DATE.format(time);
        TreeMap<String, String> signed = new TreeMap<>();
        headers.forEach((k, v) -> signed.put(k.toLowerCase(java.util.Locale.ROOT), v));
        signed.put("host", hostHeader(uri));
        signed.put("x-amz-date", amzDate);
        signed.put("x-amz-content-sha256", payloadSha256);
        if (credentials.sessionToken() != null) {
            signed.put("x-amz-security-token", credentials.sessionToken());
        }
        String canonical = canonicalRequest(method, uri, signed, payloadSha256);
        String scope = amzDate.substring(0, 8) + "/" + region + "/" + service + "/aws4_request";
        String toSign = stringToSign(amzDate, scope, canonical);
        String signature = Digests.hex(hmac(signingKey(credentials.secretAccessKey(), amzDate.substring(0, 8), region, service), toSign));

        Map<String, String> out = new LinkedHashMap<>();
        out.put("x-amz-date", amzDate);
        out.put("x-amz-content-sha256", payloadSha256);
        if (credentials.sessionToken() != null) {
            out.put("x-amz-security-token", credentials.sessionToken());
        }
        out.put("Authorization", ALGORITHM + " Credential=" + credentials.accessKeyId() + "/" + scope
                + ",SignedHeaders=" + String.join(";", signed.keySet()) + ",Signature=" + signature);
        return out;
    }

    /** The Host header value HTTP clients send for this URI. */
    public static String hostHeader(URI uri) {
        int port = uri.getPort();
        boolean defaultPort = port == -1
                || ("https".equalsIgnoreCase(uri.getScheme()) && port == 443)
                || ("http".equalsIgnoreCase(uri.getScheme()) && port == 80);
        return defaultPort ? uri.getHost() : uri.getHost() + ":" + port;
    }

    /** The canonical request; {@code headers} keys must be lower case (values are trimmed here). */
    public static String canonicalRequest(String method, URI uri, Map<String, String> headers, String payloadSha256) {
        StringBuilder sb = new StringBuilder();
        sb.append(method).append('\n');
        String path = uri.getRawPath();
        sb.append(path == null || path.isEmpty() ? "/" : path).append('\n');
        sb.append(canonicalQuery(uri.getRawQuery())).append('\n');
        TreeMap<String, String> sorted = new TreeMap<>(headers);
        sorted.forEach((k, v) -> sb.append(k).append(':').append(v.trim().replaceAll(" +", " ")).append('\n'));
        sb.append('\n');
        sb.append(String.join(";", sorted.keySet())).append('\n');
        sb.append(payloadSha256);
        return sb.toString();
    }

    /** Query parameters (already encoded) sorted by name then value; a bare name gets an empty value. */
    static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> params = new ArrayList<>();
        for (String part : rawQuery.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            params.add(eq < 0 ? new String[] {part, ""} : new String[] {part.substring(0, eq), part.substring(eq + 1)});
        }
        params.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        List<String> joined = new ArrayList<>();
        for (String[] p : params) {
            joined.add(p[0] + "=" + p[1]);
        }
        return String.join("&", joined);
    }

    public static String stringToSign(String amzDate, String scope, String canonicalRequest) {
        return ALGORITHM + "\n" + amzDate + "\n" + scope + "\n" + Digests.sha256Hex(canonicalRequest);
    }

    public static byte[] signingKey(String secret, String yyyymmdd, String region, String service) {
        byte[] k = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), yyyymmdd);
        k = hmac(k, region);
        k = hmac(k, service);
        return hmac(k, "aws4_request");
    }

    static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
    }

    /**
     * URI-encodes a string the SigV4 way: every byte except the unreserved characters A-Z a-z 0-9 - _ . ~
     * becomes %XX (upper case); with {@code keepSlash} a '/' stays as is (object key paths).
     */
    public static String uriEncode(String s, boolean keepSlash) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/')) {
                sb.append(c);
            } else {
                sb.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return sb.toString();
    }
}
