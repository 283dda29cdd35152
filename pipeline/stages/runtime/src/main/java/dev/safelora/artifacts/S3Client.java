package dev.safelora.artifacts;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import dev.safelora.files.Digests;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The few S3 REST calls the artifact store needs (PutObject, GetObject, HeadObject, ListObjectsV2,
 * DeleteObject), on {@link java.net.http.HttpClient} with SigV4 signing. Payloads are signed with their
 * sha256. Throttling, 5xx answers and I/O errors are retried with backoff up to
 * {@link S3Settings#maxAttempts()} times; other errors become {@link S3Exception}. A single PUT holds at
 * most 5 GB (no multipart upload).
 */
public final class S3Client {

    /** What HEAD tells about an object; metadata keys are the lower-case names after {@code x-amz-meta-}. */
    public record ObjectInfo(long size, String etag, Map<String, String> metadata) {}

    /** One page of a listing: object keys and, with a delimiter, the common prefixes. */
    public record ListPage(List<String> keys, List<String> commonPrefixes, String nextToken) {}

    private final S3Settings settings;
    private final HttpClient http;
    private final Clock clock;
    private final SigV4Signer signer;

    public S3Client(S3Settings settings) {
        this(settings, HttpClient.newBuilder().connectTimeout(settings.timeout()).version(HttpClient.Version.HTTP_1_1).build(),
                Clock.systemUTC());
    }

    public S3Client(S3Settings settings, HttpClient http, Clock clock) {
        this.settings = settings;
        this.http = http;
        this.clock = clock;
        this.signer = new SigV4Signer(settings.region(), "s3");
    }

    public Optional<ObjectInfo> head(String bucket, String key) throws IOException {
        HttpResponse<byte[]> r = send("HEAD", bucket, key, Map.of(), Map.of(), null, null, HttpResponse.BodyHandlers.ofByteArray(), true);
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        Map<String, String> meta = new TreeMap<>();
        r.headers().map().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("x-amz-meta-") && !values.isEmpty()) {
                meta.put(lower.substring("x-amz-meta-".length()), values.get(0));
            }
        });
        long size = r.headers().firstValueAsLong("content-length").orElse(-1);
        return Optional.of(new ObjectInfo(size, r.headers().firstValue("etag").orElse(""), meta));
    }

    /**
     * Uploads a local file; {@code sha256} is the file's hex digest (it signs the payload). Files larger than
     * {@link S3Settings#partSize()} go up as a multipart upload, which is aborted if any part fails.
     */
    public void putFile(String bucket, String key, Path file, String sha256, Map<String, String> metadata) throws IOException {
        if (Files.size(file) > settings.partSize()) {
            putMultipart(bucket, key, file, metadata);
            return;
        }
        send("PUT", bucket, key, Map.of(), metaHeaders(metadata), sha256,
                HttpRequest.BodyPublishers.ofFile(file), HttpResponse.BodyHandlers.ofByteArray(), false);
    }

    private void putMultipart(String bucket, String key, Path file, Map<String, String> metadata) throws IOException {
        HttpResponse<byte[]> init = send("POST", bucket, key, Map.of("uploads", ""), metaHeaders(metadata), null, null,
                HttpResponse.BodyHandlers.ofByteArray(), false);
        String uploadId = childText(parseXml(init.body(), "CreateMultipartUpload s3://" + bucket + "/" + key).getDocumentElement(), "UploadId");
        if (uploadId.isEmpty()) {
            throw new IOException("CreateMultipartUpload s3://" + bucket + "/" + key + " answered without an UploadId");
        }
        try {
            StringBuilder complete = new StringBuilder("<CompleteMultipartUpload>");
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
                long size = ch.size();
                int part = 0;
                for (long pos = 0; pos < size; pos += settings.partSize()) {
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) Math.min(settings.partSize(), size - pos));
                    while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) >= 0) {
                        // read the whole part
                    }
                    byte[] bytes = buf.array();
                    part++;
                    HttpResponse<byte[]> r = send("PUT", bucket, key, Map.of("partNumber", Integer.toString(part), "uploadId", uploadId),
                            Map.of(), Digests.sha256Hex(bytes), HttpRequest.BodyPublishers.ofByteArray(bytes),
                            HttpResponse.BodyHandlers.ofByteArray(), false);
                    String etag = r.headers().firstValue("etag").orElseThrow(() ->
                            new IOException("UploadPart " + key + " answered without an ETag"));
                    complete.append("<Part><PartNumber>").append(part).append("</PartNumber><ETag>")
                            .append(etag.replace("&", "&amp;").replace("\"", "&quot;")).append("</ETag></Part>");
                }
            }
            complete.append("</CompleteMultipartUpload>");
            byte[] body = complete.toString().getBytes(StandardCharsets.UTF_8);
            HttpResponse<byte[]> done = send("POST", bucket, key, Map.of("uploadId", uploadId), Map.of(), Digests.sha256Hex(body),
                    HttpRequest.BodyPublishers.ofByteArray(body), HttpResponse.BodyHandlers.ofByteArray(), false);
            // S3 may answer 200 and still report an error in the body.
            Document doc = parseXml(done.body(), "CompleteMultipartUpload s3://" + bucket + "/" + key);
            if (doc.getDocumentElement().getTagName().equals("Error")) {
                throw new S3Exception("CompleteMultipartUpload s3://" + bucket + "/" + key, done.statusCode(),
                        childText(doc.getDocumentElement(), "Code"), childText(doc.getDocumentElement(), "Message"));
            }
        } catch (IOException | RuntimeException e) {
            try {
                send("DELETE", bucket, key, Map.of("uploadId", uploadId), Map.of(), null, null,
                        HttpResponse.BodyHandlers.ofByteArray(), true);
            } catch (IOException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw e;
        }
    }

    public void putBytes(String bucket, String key, byte[] body, Map<String, String> metadata) throws IOException {
        send("PUT", bucket, key, Map.of(), metaHeaders(metadata), Digests.sha256Hex(body),
                HttpRequest.BodyPublishers.ofByteArray(body), HttpResponse.BodyHandlers.ofByteArray(), false);
    }

    /** Downloads an object into {@code dest} (replaced); a missing object is a {@link NoSuchFileException}. */
    public void download(String bucket, String key, Path dest) throws IOException {
        HttpResponse<Path> r = send("GET", bucket, key, Map.of(), Map.of(), null, null,
                HttpResponse.BodyHandlers.ofFile(dest), true);
        if (r.statusCode() == 404) {
            Files.deleteIfExists(dest);
            throw new NoSuchFileException("s3://" + bucket + "/" + key, null, "no such object");
        }
    }

    public byte[] getBytes(String bucket, String key) throws IOException {
        HttpResponse<byte[]> r = send("GET", bucket, key, Map.of(), Map.of(), null, null, HttpResponse.BodyHandlers.ofByteArray(), true);
        if (r.statusCode() == 404) {
            throw new NoSuchFileException("s3://" + bucket + "/" + key, null, "no such object");
        }
        return r.body();
    }

    public ListPage listPage(String bucket, String prefix, String delimiter, String continuationToken) throws IOException {
        Map<String, String> query = new TreeMap<>();
        query.put("list-type", "2");
        query.put("prefix", prefix);
        if (delimiter != null) {
            query.put("delimiter", delimiter);
        }
        if (continuationToken != null) {
            query.put("continuation-token", continuationToken);
        }
        HttpResponse<byte[]> r = send("GET", bucket, "", query, Map.of(), null, null, HttpResponse.BodyHandlers.ofByteArray(), false);
        Document doc = parseXml(r.body(), "ListObjectsV2 s3://" + bucket + "/" + prefix);
        List<String> keys = new ArrayList<>();
        NodeList contents = doc.getElementsByTagName("Contents");
        for (int i = 0; i < contents.getLength(); i++) {
            keys.add(childText((Element) contents.item(i), "Key"));
        }
        List<String> prefixes = new ArrayList<>();
        NodeList common = doc.getElementsByTagName("CommonPrefixes");
        for (int i = 0; i < common.getLength(); i++) {
            prefixes.add(childText((Element) common.item(i), "Prefix"));
        }
        boolean truncated = "true".equals(childText(doc.getDocumentElement(), "IsTruncated"));
        String next = childText(doc.getDocumentElement(), "NextContinuationToken");
        return new ListPage(keys, prefixes, truncated && !next.isEmpty() ? next : null);
    }

    /** Every page of a listing, concatenated. */
    public ListPage listAll(String bucket, String prefix, String delimiter) throws IOException {
        List<String> keys = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        String token = null;
        do {
            ListPage page = listPage(bucket, prefix, delimiter, token);
            keys.addAll(page.keys());
            prefixes.addAll(page.commonPrefixes());
            token = page.nextToken();
        } while (token != null);
        return new ListPage(keys, prefixes, null);
    }

    public void delete(String bucket, String key) throws IOException {
        send("DELETE", bucket, key, Map.of(), Map.of(), null, null, HttpResponse.BodyHandlers.ofByteArray(), true);
    }

    /** The request URI: path style {@code endpoint/bucket/key} or virtual-hosted {@code bucket.host/key}. */
    URI requestUri(String bucket, String key, Map<String, String> query) {
        URI e = settings.endpoint();
        String basePath = e.getRawPath() == null ? "" : e.getRawPath().replaceAll("/+$", "");
        String host = settings.pathStyle() ? e.getHost() : bucket + "." + e.getHost();
        String path = basePath + (settings.pathStyle() ? "/" + SigV4Signer.uriEncode(bucket, false) : "") + "/"
                + SigV4Signer.uriEncode(key, true);
        StringBuilder q = new StringBuilder();
        new TreeMap<>(query).forEach((k, v) -> q.append(q.length() == 0 ? "" : "&")
                .append(SigV4Signer.uriEncode(k, false)).append('=').append(SigV4Signer.uriEncode(v, false)));
        String port = e.getPort() == -1 ? "" : ":" + e.getPort();
        return URI.create(e.getScheme() + "://" + host + port + path + (q.length() == 0 ? "" : "?" + q));
    }

    private <T> HttpResponse<T> send(String method, String bucket, String key, Map<String, String> query,
                                     Map<String, String> headers, String payloadSha256, HttpRequest.BodyPublisher body,
                                     HttpResponse.BodyHandler<T> handler, boolean allow404) throws IOException {
        URI uri = requestUri(bucket, key, query);
        String operation = method + " " + uri;
        IOException last = null;
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            if (attempt > 1) {
                backoff(attempt, operation);
            }
            String payload = payloadSha256 != null ? payloadSha256 : SigV4Signer.EMPTY_SHA256;
            Map<String, String> all = new LinkedHashMap<>(headers);
            all.putAll(signer.sign(method, uri, headers, payload, clock.instant(), settings.credentials()));
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(settings.timeout())
                    .method(method, body != null ? body : HttpRequest.BodyPublishers.noBody());
            all.forEach(b::header);
            HttpResponse<T> r;
            try {
                r = http.send(b.build(), handler);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(operation + " interrupted");
            } catch (IOException e) {
                last = e;
                continue;
            }
            int status = r.statusCode();
            if (status / 100 == 2 || (allow404 && status == 404)) {
                return r;
            }
            S3Exception error = error(operation, r);
            if (!error.retryable()) {
                throw error;
            }
            last = error;
        }
        throw last instanceof S3Exception ? last : new IOException(operation + " failed after " + settings.maxAttempts()
                + " attempts: " + last.getMessage(), last);
    }

    private static void backoff(int attempt, String operation) throws InterruptedIOException {
        try {
            Thread.sleep(100L << Math.min(attempt - 2, 6));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(operation + " interrupted");
        }
    }

    private static S3Exception error(String operation, HttpResponse<?> r) {
        String code = "";
        String message = "";
        byte[] bytes = null;
        if (r.body() instanceof byte[] b) {
            bytes = b;
        } else if (r.body() instanceof Path p) {
            try {
                bytes = Files.readAllBytes(p);
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // the status alone still says what failed
            }
        }
        if (bytes != null && bytes.length > 0) {
            try {
                Document doc = parseXml(bytes, operation);
                code = childText(doc.getDocumentElement(), "Code");
                message = childText(doc.getDocumentElement(), "Message");
            } catch (IOException notXml) {
                message = new String(bytes, 0, Math.min(bytes.length, 200), StandardCharsets.UTF_8);
            }
        }
        return new S3Exception(operation, r.statusCode(), code, message);
    }

    private static Map<String, String> metaHeaders(Map<String, String> metadata) {
        Map<String, String> h = new LinkedHashMap<>();
        metadata.forEach((k, v) -> h.put("x-amz-meta-" + k.toLowerCase(Locale.ROOT), v));
        return h;
    }

    private static Document parseXml(byte[] body, String what) throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            return f.newDocumentBuilder().parse(new ByteArrayInputStream(body));
        } catch (Exception e) {
            throw new IOException(what + ": the answer is not the XML S3 sends: " + e.getMessage(), e);
        }
    }

    private static String childText(Element parent, String name) {
        NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element el && el.getTagName().equals(name)) {
                return el.getTextContent();
            }
        }
        return "";
    }
}
