package dev.safelora.registry.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import javax.net.ssl.SSLParameters;

import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process schema registry speaking the Confluent Schema Registry REST API subset the
 * pipeline needs, on the JDK HTTP server, with its state in a compacted Kafka topic (see
 * {@link SchemaStore}), so a restart on the same broker keeps every id.
 *
 * <p>Endpoints: {@code POST /subjects/{s}/versions}, {@code POST /subjects/{s}},
 * {@code GET /schemas/ids/{id}}, {@code GET /schemas/ids/{id}/schema}, {@code GET /subjects},
 * {@code GET /subjects/{s}/versions}, {@code GET /subjects/{s}/versions/{v|latest}[/schema]},
 * {@code POST /compatibility/subjects/{s}/versions/{v|latest}}, {@code GET|PUT /config},
 * {@code GET|PUT /config/{s}}. Errors carry the Confluent body {@code {"error_code":..,"message":..}}.
 */
public final class SchemaRegistryServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final RegistryServerSettings settings;
    private final SchemaStore store;
    private final HttpServer http;
    private final ExecutorService executor;
    private final ObjectMapper json = new ObjectMapper();
    private final String url;
    private boolean closed;

    /** The largest request body accepted (see {@link #boundedBody}). */
    static final int MAX_BODY_BYTES = 1 << 20;

    private SchemaRegistryServer(RegistryServerSettings settings, SchemaStore store, HttpServer http, ExecutorService executor) {
        this.settings = settings;
        this.store = store;
        this.http = http;
        this.executor = executor;
        String host = settings.host().equals("0.0.0.0") ? "localhost" : settings.host();
        this.url = (settings.tls() == null ? "http://" : "https://") + host + ":" + http.getAddress().getPort();
    }

    /** Replays the schema topic (creating it if missing) and starts serving. */
    public static SchemaRegistryServer start(RegistryServerSettings settings) {
        SchemaStore store = SchemaStore.open(settings.bootstrapServers(), settings.topic(), settings.defaultCompatibility());
        HttpServer http;
        try {
            InetSocketAddress address = new InetSocketAddress(settings.host(), settings.port());
            if (settings.tls() == null) {
                http = HttpServer.create(address, 64);
            } else {
                HttpsServer https = HttpsServer.create(address, 64);
                boolean clientAuth = settings.tls().needClientAuth();
                https.setHttpsConfigurator(new HttpsConfigurator(settings.tls().context()) {
                    @Override
                    public void configure(HttpsParameters params) {
                        SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                        ssl.setNeedClientAuth(clientAuth);
                        params.setSSLParameters(ssl);
                    }
                });
                http = https;
            }
        } catch (IOException e) {
            store.close();
            throw new IllegalStateException("schema registry cannot listen on " + settings.host() + ":" + settings.port()
                    + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "schema-registry-http");
            thread.setDaemon(true);
            return thread;
        });
        SchemaRegistryServer server = new SchemaRegistryServer(settings, store, http, executor);
        http.createContext("/", server::handle);
        http.setExecutor(executor);
        http.start();
        LOG.info("schema registry serving {} (schemas in topic '{}' on {})", server.url, settings.topic(), settings.bootstrapServers());
        return server;
    }

    /** Base URL, e.g. {@code http://localhost:8081}. */
    public String url() {
        return url;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public RegistryServerSettings settings() {
        return settings;
    }

    /** Stops serving (waits up to a second for requests in flight) and closes the store's producer. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        http.stop(1);
        executor.shutdownNow(); // what is left after stop() are handlers stuck on dead connections
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
        LOG.info("schema registry at {} stopped", url);
    }

    private record Reply(int status, JsonNode body) {
    }

    private void handle(HttpExchange exchange) throws IOException {
        Reply reply;
        try {
            authorize(exchange);
            reply = route(exchange.getRequestMethod(), exchange.getRequestURI(), boundedBody(exchange));
        } catch (RestError e) {
            reply = error(e.status, e.code, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("schema registry failed on {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            reply = error(500, 50001, "internal error: " + e);
        }
        byte[] bytes = reply.body().toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(reply.status(), bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * The request body, refused past {@link #MAX_BODY_BYTES}: schemas are stored as records of a Kafka topic whose
     * records are at most about 1 MB, so a larger body can never be a schema worth parsing (a 38 MB body with 3M keys
     * took 14.5 s to reject before).
     */
    private static InputStream boundedBody(HttpExchange exchange) {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > MAX_BODY_BYTES) {
                    throw tooLarge();
                }
            } catch (NumberFormatException e) {
                throw new RestError(400, 400, "Content-Length is not a number");
            }
        }
        InputStream body = exchange.getRequestBody();
        return new java.io.FilterInputStream(body) {
            private long read;

            @Override
            public int read() throws IOException {
                int b = super.read();
                count(b < 0 ? 0 : 1);
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                count(Math.max(n, 0));
                return n;
            }

            private void count(int n) {
                read += n;
                if (read > MAX_BODY_BYTES) {
                    throw tooLarge();
                }
            }
        };
    }

    private static RestError tooLarge() {
        return new RestError(413, 413, "request body larger than " + MAX_BODY_BYTES + " bytes");
    }

    private void authorize(HttpExchange exchange) {
        if (settings.userInfo() == null) {
            return;
        }
        String expected = "Basic " + Base64.getEncoder().encodeToString(settings.userInfo().getBytes(StandardCharsets.UTF_8));
        String given = exchange.getRequestHeaders().getFirst("Authorization");
        if (given == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8))) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"schema-registry\"");
            throw new RestError(401, RestError.UNAUTHORIZED, "Unauthorized");
        }
    }

    private Reply route(String method, URI uri, InputStream body) throws IOException {
        List<String> path = segments(uri);
        Map<String, String> query = query(uri);
        int n = path.size();
        if (n == 0) {
            return ok(json.createObjectNode());
        }
        switch (path.get(0)) {
            case "subjects" -> {
                if (n == 1 && method.equals("GET")) {
                    ArrayNode subjects = json.createArrayNode();
                    store.subjects().forEach(subjects::add);
                    return ok(subjects);
                }
                String subject = n >= 2 ? path.get(1) : null;
                if (n == 2 && method.equals("POST")) {
                    return lookup(subject, readSchema(body));
                }
                if (n == 3 && path.get(2).equals("versions")) {
                    if (method.equals("POST")) {
                        StoredSchema registered = store.register(subject, readSchema(body));
                        return ok(json.createObjectNode().put("id", registered.id()));
                    }
                    if (method.equals("GET")) {
                        requireSubject(subject);
                        ArrayNode versions = json.createArrayNode();
                        store.versions(subject).forEach(versions::add);
                        return ok(versions);
                    }
                }
                if ((n == 4 || n == 5 && path.get(4).equals("schema")) && path.get(2).equals("versions") && method.equals("GET")) {
                    StoredSchema found = version(subject, path.get(3));
                    return ok(n == 5 ? json.readTree(found.schema().toString()) : describe(found));
                }
            }
            case "schemas" -> {
                if (n >= 3 && path.get(1).equals("ids") && method.equals("GET") && (n == 3 || n == 4 && path.get(3).equals("schema"))) {
                    int id = parseInt(path.get(2), 404, RestError.SCHEMA_NOT_FOUND, "Schema " + path.get(2) + " not found");
                    Schema schema = store.schema(id).orElseThrow(
                            () -> new RestError(404, RestError.SCHEMA_NOT_FOUND, "Schema " + id + " not found"));
                    return ok(n == 4 ? json.readTree(schema.toString()) : json.createObjectNode().put("schema", schema.toString()));
                }
            }
            case "compatibility" -> {
                if (n == 5 && path.get(1).equals("subjects") && path.get(3).equals("versions") && method.equals("POST")) {
                    return compatibility(path.get(2), path.get(4), readSchema(body), "true".equals(query.get("verbose")));
                }
            }
            case "config" -> {
                String subject = n == 2 ? path.get(1) : null;
                if (n <= 2 && method.equals("GET")) {
                    return getConfig(subject, "true".equals(query.get("defaultToGlobal")));
                }
                if (n <= 2 && method.equals("PUT")) {
                    return putConfig(subject, body);
                }
            }
            default -> {
                // falls through to 404
            }
        }
        throw new RestError(404, 404, "HTTP 404 Not Found: no " + method + " " + uri.getPath());
    }

    private Reply lookup(String subject, Schema schema) {
        requireSubject(subject);
        StoredSchema found = store.find(subject, schema).orElseThrow(
                () -> new RestError(404, RestError.SCHEMA_NOT_FOUND, "Schema not found under subject " + subject));
        return ok(describe(found));
    }

    private Reply compatibility(String subject, String versionText, Schema schema, boolean verbose) {
        List<Schema> against;
        if (versionText.equals("latest")) {
            requireSubject(subject);
            against = store.schemasOf(subject);
        } else {
            against = List.of(version(subject, versionText).schema());
        }
        List<String> problems = store.incompatibilities(subject, schema, against);
        ObjectNode answer = json.createObjectNode().put("is_compatible", problems.isEmpty());
        if (verbose) {
            ArrayNode messages = answer.putArray("messages");
            problems.forEach(messages::add);
        }
        return ok(answer);
    }

    private Reply getConfig(String subject, boolean defaultToGlobal) {
        if (subject == null) {
            return ok(json.createObjectNode().put("compatibilityLevel", store.globalLevel().name()));
        }
        Optional<Compatibility> own = store.subjectLevel(subject);
        if (own.isEmpty() && !defaultToGlobal) {
            throw new RestError(404, RestError.SUBJECT_CONFIG_NOT_FOUND,
                    "Subject '" + subject + "' does not have subject-level compatibility configured");
        }
        return ok(json.createObjectNode().put("compatibilityLevel", own.orElse(store.globalLevel()).name()));
    }

    private Reply putConfig(String subject, InputStream body) throws IOException {
        JsonNode request = readJson(body);
        String text = request.path("compatibility").asText(request.path("compatibilityLevel").asText(""));
        Compatibility level;
        try {
            level = Compatibility.parse(text);
        } catch (IllegalArgumentException e) {
            throw new RestError(422, RestError.INVALID_COMPATIBILITY_LEVEL, "Invalid compatibility level: " + e.getMessage());
        }
        store.setLevel(subject, level);
        return ok(json.createObjectNode().put("compatibility", level.name()));
    }

    private StoredSchema version(String subject, String versionText) {
        requireSubject(subject);
        int version = versionText.equals("latest") ? -1
                : parseInt(versionText, 422, RestError.INVALID_VERSION,
                        "The specified version '" + versionText + "' is not a valid version id");
        if (version == 0 || version < -1) {
            throw new RestError(422, RestError.INVALID_VERSION, "The specified version '" + versionText + "' is not a valid version id");
        }
        return store.version(subject, version).orElseThrow(
                () -> new RestError(404, RestError.VERSION_NOT_FOUND, "Version " + versionText + " not found."));
    }

    private void requireSubject(String subject) {
        if (!store.hasSubject(subject)) {
            throw new RestError(404, RestError.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
    }

    private ObjectNode describe(StoredSchema registered) {
        return json.createObjectNode()
                .put("subject", registered.subject())
                .put("version", registered.version())
                .put("id", registered.id())
                .put("schema", registered.schema().toString());
    }

    private Schema readSchema(InputStream body) throws IOException {
        JsonNode request = readJson(body);
        String type = request.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new RestError(422, RestError.INVALID_SCHEMA, "Invalid schema: schemaType " + type
                    + " is not supported by this registry (AVRO only)");
        }
        if (request.has("references") && request.get("references").size() > 0) {
            throw new RestError(422, RestError.INVALID_SCHEMA, "Invalid schema: schema references are not supported");
        }
        JsonNode schema = request.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new RestError(422, RestError.INVALID_SCHEMA, "Invalid schema: the request has no 'schema' string");
        }
        try {
            return new Schema.Parser().parse(schema.asText());
        } catch (SchemaParseException | IllegalArgumentException e) {
            throw new RestError(422, RestError.INVALID_SCHEMA, "Invalid schema: " + e.getMessage());
        }
    }

    private JsonNode readJson(InputStream body) throws IOException {
        try {
            JsonNode node = json.readTree(body);
            if (node == null || !node.isObject()) {
                throw new RestError(422, 422, "Unprocessable entity: expected a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new RestError(400, 400, "Malformed JSON: " + e.getOriginalMessage());
        }
    }

    private Reply ok(JsonNode body) {
        return new Reply(200, body);
    }

    private Reply error(int status, int code, String message) {
        return new Reply(status, json.createObjectNode().put("error_code", code).put("message", message));
    }

    private static int parseInt(String text, int status, int code, String message) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new RestError(status, code, message);
        }
    }

    private static List<String> segments(URI uri) {
        List<String> segments = new ArrayList<>();
        for (String raw : uri.getRawPath().split("/")) {
            if (!raw.isEmpty()) {
                segments.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return segments;
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> params = new java.util.HashMap<>();
        String raw = uri.getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.put(key, value);
            }
        }
        return params;
    }
}
