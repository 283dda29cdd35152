package dev.safelora.artifacts;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.safelora.files.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback HTTP server answering the path-style S3 calls the client makes, for tests. It checks every
 * request the way S3 does: it recomputes the SigV4 signature from what actually arrived (method, raw
 * path and query, the signed headers, the payload) with the test's secret, and refuses a mismatch or a
 * body whose sha256 differs from {@code x-amz-content-sha256} with 403 / 400 and an S3 error body.
 */
final class FakeS3Server implements AutoCloseable {

    record StoredObject(byte[] bytes, Map<String, String> metadata) {}

    private static final Pattern AUTH = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/s3/aws4_request,SignedHeaders=([^,]+),Signature=([0-9a-f]{64})");

    private final HttpServer server;
    private final AwsCredentials credentials;
    private final String region;
    final Map<String, StoredObject> objects = new ConcurrentHashMap<>(); // "bucket/key"
    final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<Integer> injectedFailures = Collections.synchronizedList(new ArrayList<>());
    /** Open multipart uploads: id to (metadata, part number to bytes). */
    final Map<String, Map<String, String>> uploadMetadata = new ConcurrentHashMap<>();
    final Map<String, Map<Integer, byte[]>> uploadParts = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger uploadIds = new java.util.concurrent.atomic.AtomicInteger();
    /** Answer the next CompleteMultipartUpload with 200 and an error body, as S3 sometimes does. */
    volatile boolean failNextCompleteIn200;

    FakeS3Server(AwsCredentials credentials, String region) throws IOException {
        this.credentials = credentials;
        this.region = region;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next request is answered with this status (an S3 error body) before being looked at. */
    void failNext(int status) {
        injectedFailures.add(status);
    }

    long count(String methodPrefix) {
        return requests.stream().filter(r -> r.startsWith(methodPrefix)).count();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            String method = ex.getRequestMethod();
            URI uri = ex.getRequestURI();
            requests.add(method + " " + uri);
            if (!injectedFailures.isEmpty()) {
                int status = injectedFailures.remove(0);
                error(ex, status, status == 503 ? "SlowDown" : "InternalError", "injected");
                return;
            }
            String problem = checkSignature(ex, method, uri, body);
            if (problem != null) {
                error(ex, problem.startsWith("XAmzContentSHA256Mismatch") ? 400 : 403, problem.split(":")[0], problem);
                return;
            }
            String path = URLDecoder.decode(uri.getRawPath().substring(1).replace("+", "%2B"), StandardCharsets.UTF_8);
            int slash = path.indexOf('/');
            String bucket = slash < 0 ? path : path.substring(0, slash);
            String key = slash < 0 ? "" : path.substring(slash + 1);
            String id = bucket + "/" + key;
            Map<String, String> q = query(uri);
            if (q.containsKey("uploads") || q.containsKey("uploadId")) {
                multipart(ex, method, id, q, body);
                return;
            }
            switch (method) {
                case "PUT" -> {
                    objects.put(id, new StoredObject(body, userMetadata(ex)));
                    send(ex, 200, new byte[0]);
                }
                case "HEAD", "GET" -> {
                    if (key.isEmpty() && method.equals("GET")) {
                        list(ex, bucket, query(uri));
                        return;
                    }
                    StoredObject o = objects.get(id);
                    if (o == null) {
                        if (method.equals("HEAD")) {
                            ex.sendResponseHeaders(404, -1);
                        } else {
                            error(ex, 404, "NoSuchKey", "The specified key does not exist.");
                        }
                        return;
                    }
                    o.metadata().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
                    ex.getResponseHeaders().add("ETag", "\"" + Digests.sha256Hex(o.bytes()).substring(0, 32) + "\"");
                    if (method.equals("HEAD")) {
                        ex.getResponseHeaders().add("Content-Length", Integer.toString(o.bytes().length));
                        ex.sendResponseHeaders(200, -1);
                    } else {
                        send(ex, 200, o.bytes());
                    }
                }
                case "DELETE" -> {
                    objects.remove(id);
                    ex.sendResponseHeaders(204, -1);
                }
                default -> error(ex, 405, "MethodNotAllowed", method);
            }
        }
    }

    private static Map<String, String> userMetadata(HttpExchange ex) {
        Map<String, String> meta = new TreeMap<>();
        ex.getRequestHeaders().forEach((k, v) -> {
            if (k.toLowerCase().startsWith("x-amz-meta-")) {
                meta.put(k.toLowerCase(), v.get(0));
            }
        });
        return meta;
    }

    private void multipart(HttpExchange ex, String method, String id, Map<String, String> q, byte[] body) throws IOException {
        if (method.equals("POST") && q.containsKey("uploads")) {
            String upload = "upload-" + uploadIds.incrementAndGet();
            uploadMetadata.put(upload, userMetadata(ex));
            uploadParts.put(upload, new ConcurrentHashMap<>());
            send(ex, 200, ("<InitiateMultipartUploadResult><Key>" + id + "</Key><UploadId>" + upload
                    + "</UploadId></InitiateMultipartUploadResult>").getBytes(StandardCharsets.UTF_8));
            return;
        }
        String upload = q.get("uploadId");
        Map<Integer, byte[]> parts = uploadParts.get(upload);
        if (parts == null) {
            error(ex, 404, "NoSuchUpload", "no upload " + upload);
            return;
        }
        switch (method) {
            case "PUT" -> {
                parts.put(Integer.parseInt(q.get("partNumber")), body);
                ex.getResponseHeaders().add("ETag", "\"" + Digests.sha256Hex(body).substring(0, 32) + "\"");
                ex.sendResponseHeaders(200, -1);
            }
            case "POST" -> {
                if (failNextCompleteIn200) {
                    failNextCompleteIn200 = false;
                    send(ex, 200, "<Error><Code>InternalError</Code><Message>try again</Message></Error>".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                Matcher m = Pattern.compile("<Part><PartNumber>(\\d+)</PartNumber><ETag>&quot;([0-9a-f]{32})&quot;</ETag></Part>")
                        .matcher(new String(body, StandardCharsets.UTF_8));
                java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
                int expected = 1;
                while (m.find()) {
                    byte[] part = parts.get(Integer.parseInt(m.group(1)));
                    if (Integer.parseInt(m.group(1)) != expected++ || part == null
                            || !Digests.sha256Hex(part).substring(0, 32).equals(m.group(2))) {
                        error(ex, 400, "InvalidPart", "part " + m.group(1));
                        return;
                    }
                    if (expected - 1 < parts.size() && part.length < S3Settings.MIN_PART_SIZE) {
                        error(ex, 400, "EntityTooSmall", "part " + m.group(1) + " is " + part.length + " bytes");
                        return;
                    }
                    whole.write(part);
                }
                if (expected - 1 != parts.size()) {
                    error(ex, 400, "InvalidPart", "completed " + (expected - 1) + " of " + parts.size() + " parts");
                    return;
                }
                objects.put(id, new StoredObject(whole.toByteArray(), uploadMetadata.remove(upload)));
                uploadParts.remove(upload);
                send(ex, 200, "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>"
                        .getBytes(StandardCharsets.UTF_8));
            }
            case "DELETE" -> {
                uploadParts.remove(upload);
                uploadMetadata.remove(upload);
                ex.sendResponseHeaders(204, -1);
            }
            default -> error(ex, 405, "MethodNotAllowed", method);
        }
    }

    private String checkSignature(HttpExchange ex, String method, URI uri, byte[] body) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null) {
            return "AccessDenied: no Authorization header";
        }
        Matcher m = AUTH.matcher(auth);
        if (!m.matches()) {
            return "AuthorizationHeaderMalformed: " + auth;
        }
        if (!m.group(1).equals(credentials.accessKeyId()) || !m.group(3).equals(region)) {
            return "InvalidAccessKeyId: " + m.group(1) + " in " + m.group(3);
        }
        String payload = ex.getRequestHeaders().getFirst("x-amz-content-sha256");
        if (payload == null || !payload.equals(Digests.sha256Hex(body))) {
            return "XAmzContentSHA256Mismatch: header " + payload;
        }
        if (credentials.sessionToken() != null
                && !credentials.sessionToken().equals(ex.getRequestHeaders().getFirst("x-amz-security-token"))) {
            return "InvalidToken: session token missing or wrong";
        }
        Map<String, String> signedHeaders = new TreeMap<>();
        for (String name : m.group(4).split(";")) {
            String value = ex.getRequestHeaders().getFirst(name);
            if (value == null) {
                return "SignatureDoesNotMatch: signed header " + name + " not sent";
            }
            signedHeaders.put(name, value);
        }
        if (!signedHeaders.containsKey("host") || !signedHeaders.containsKey("x-amz-date")) {
            return "SignatureDoesNotMatch: host and x-amz-date must be signed";
        }
        String amzDate = signedHeaders.get("x-amz-date");
        String canonical = SigV4Signer.canonicalRequest(method, uri, signedHeaders, payload);
        String scope = m.group(2) + "/" + region + "/s3/aws4_request";
        String expected = Digests.hex(SigV4Signer.hmac(
                SigV4Signer.signingKey(credentials.secretAccessKey(), m.group(2), region, "s3"),
                SigV4Signer.stringToSign(amzDate, scope, canonical)));
        return expected.equals(m.group(5)) ? null : "SignatureDoesNotMatch: expected " + expected;
    }

    private void list(HttpExchange ex, String bucket, Map<String, String> q) throws IOException {
        if (!"2".equals(q.get("list-type"))) {
            error(ex, 400, "InvalidArgument", "only ListObjectsV2");
            return;
        }
        String prefix = q.getOrDefault("prefix", "");
        String delimiter = q.get("delimiter");
        int maxKeys = 2; // small pages, so that paging is exercised
        TreeSet<String> keys = new TreeSet<>();
        TreeSet<String> prefixes = new TreeSet<>();
        for (String id : new TreeSet<>(objects.keySet())) {
            if (!id.startsWith(bucket + "/")) {
                continue;
            }
            String key = id.substring(bucket.length() + 1);
            if (!key.startsWith(prefix)) {
                continue;
            }
            int d = delimiter == null ? -1 : key.indexOf(delimiter, prefix.length());
            if (d >= 0) {
                prefixes.add(key.substring(0, d + 1));
            } else {
                keys.add(key);
            }
        }
        List<String> all = new ArrayList<>();
        keys.forEach(k -> all.add("K" + k));
        prefixes.forEach(p -> all.add("P" + p));
        all.sort((a, b) -> a.substring(1).compareTo(b.substring(1)));
        int start = q.containsKey("continuation-token") ? Integer.parseInt(q.get("continuation-token")) : 0;
        int end = Math.min(all.size(), start + maxKeys);
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" + bucket + "</Name>");
        xml.append("<IsTruncated>").append(end < all.size()).append("</IsTruncated>");
        if (end < all.size()) {
            xml.append("<NextContinuationToken>").append(end).append("</NextContinuationToken>");
        }
        for (String e : all.subList(start, end)) {
            String v = e.substring(1).replace("&", "&amp;").replace("<", "&lt;");
            xml.append(e.charAt(0) == 'K' ? "<Contents><Key>" + v + "</Key></Contents>"
                    : "<CommonPrefixes><Prefix>" + v + "</Prefix></CommonPrefixes>");
        }
        xml.append("</ListBucketResult>");
        send(ex, 200, xml.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> q = new TreeMap<>();
        if (uri.getRawQuery() != null) {
            for (String p : uri.getRawQuery().split("&")) {
                int eq = p.indexOf('=');
                q.put(URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(p.substring(eq + 1).replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return q;
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>"
                + message.replace("&", "&amp;").replace("<", "&lt;") + "</Message></Error>";
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
        } else {
            send(ex, status, xml.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
