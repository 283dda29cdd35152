package dev.safelora.registry.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.http.HttpReply;
import dev.safelora.http.HttpRequest;
import dev.safelora.http.HttpService;
import dev.safelora.http.HttpTls;
import dev.safelora.http.NioHttpServer;

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
 * {@code GET /schemas/ids/{id}[/schema|/versions|/subjects]}, {@code GET /schemas} ({@code subjectPrefix},
 * {@code latestOnly}), {@code GET /schemas/types}, {@code GET /contexts}, {@code GET /subjects},
 * {@code GET /subjects/{s}/versions}, {@code GET /subjects/{s}/versions/{v|latest}[/schema|/referencedby]},
 * {@code DELETE /subjects/{s}} and {@code DELETE /subjects/{s}/versions/{v}} (soft, then {@code permanent=true}),
 * {@code deleted=true} on lookups and listings, {@code POST /compatibility/subjects/{s}/versions[/{v|latest}]},
 * {@code GET|PUT /config[/{s}]}, {@code DELETE /config/{s}}, {@code GET|PUT /mode[/{s}]} (READWRITE, READONLY,
 * IMPORT). Errors carry the Confluent body {@code {"error_code":..,"message":..}}. Avro schema references
 * ({@code references: [{name, subject, version}]}) are resolved on registration, served back with the schema,
 * listed by {@code GET /subjects/{s}/versions/{v}/referencedby}, and a referenced version cannot be deleted (42206).
 *
 * <p>Served by the shared {@link NioHttpServer} under {@link RegistryServerSettings#limits()}: clients slow to send
 * are closed after the idle timeout and never hold a worker (a client that stops reading a response larger than
 * the socket buffers does hold one, until the write timeout closes it), a body over the cap is answered 413 before it is read,
 * and only the paths and methods above are routed (others get Confluent's 404 and 405 bodies without their body
 * being read).
 */
public final class SchemaRegistryServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final RegistryServerSettings settings;
    private final SchemaStore store;
    private final ObjectMapper json = new ObjectMapper();
    private NioHttpServer http;
    private String url;
    private boolean closed;

    /** The largest request body accepted by default (see {@link RegistryServerSettings#DEFAULT_LIMITS}). */
    static final int MAX_BODY_BYTES = RegistryServerSettings.DEFAULT_LIMITS.maxBodyBytes();

    private SchemaRegistryServer(RegistryServerSettings settings, SchemaStore store) {
        this.settings = settings;
        this.store = store;
    }

    /** Replays the schema topic (creating it if missing) and starts serving. */
    public static SchemaRegistryServer start(RegistryServerSettings settings) {
        SchemaStore store = SchemaStore.open(settings.bootstrapServers(), settings.topic(), settings.defaultCompatibility());
        SchemaRegistryServer server = new SchemaRegistryServer(settings, store);
        HttpTls tls = settings.tls() == null ? null : new HttpTls(settings.tls().context(), settings.tls().needClientAuth());
        try {
            server.http = NioHttpServer.start("schema-registry", settings.host(), settings.port(), settings.limits(), server.new Service(), tls);
        } catch (RuntimeException e) {
            store.close();
            throw new IllegalStateException("schema registry cannot listen on " + settings.host() + ":" + settings.port()
                    + ": " + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), e);
        }
        String host = settings.host().equals("0.0.0.0") ? "localhost" : settings.host();
        server.url = (settings.tls() == null ? "http://" : "https://") + host + ":" + server.http.port();
        LOG.info("schema registry serving {} (schemas in topic '{}' on {})", server.url, settings.topic(), settings.bootstrapServers());
        return server;
    }

    /** Base URL, e.g. {@code http://localhost:8081}. */
    public String url() {
        return url;
    }

    public int port() {
        return http.port();
    }

    public RegistryServerSettings settings() {
        return settings;
    }

    /** Stops serving (gives requests in flight a second) and closes the store's producer. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        http.close();
        store.close();
        LOG.info("schema registry at {} stopped", url);
    }

    private record Reply(int status, JsonNode body) {
    }

    private final class Service implements HttpService {

        /** Authentication, then exact paths and methods, before any of the body is read. */
        @Override
        public Optional<HttpReply> screen(HttpRequest head) {
            try {
                authorize(head);
                Set<String> allowed = Routes.methods(segments(head.path()));
                if (allowed.isEmpty()) {
                    throw new RestError(404, 404, "HTTP 404 Not Found");
                }
                if (!allowed.contains(head.method())) {
                    return Optional.of(render(error(405, 405, "HTTP 405 Method Not Allowed")).withHeader("Allow", String.join(", ", allowed)));
                }
                return Optional.empty();
            } catch (RestError e) {
                HttpReply reply = render(error(e.status, e.code, e.getMessage()));
                return Optional.of(e.status == 401 ? reply.withHeader("WWW-Authenticate", "Basic realm=\"schema-registry\"") : reply);
            }
        }

        @Override
        public HttpReply respond(HttpRequest request) {
            Reply reply;
            try {
                reply = route(request.method(), request.path(), request.rawQuery(), new ByteArrayInputStream(request.body()));
            } catch (RestError e) {
                reply = error(e.status, e.code, e.getMessage());
            } catch (IOException | RuntimeException e) {
                LOG.warn("schema registry failed on {} {}", request.method(), request.path(), e);
                reply = error(500, 50001, "internal error: " + e);
            }
            return render(reply);
        }

        @Override
        public HttpReply refusal(int status, String message) {
            return render(error(status, status, message));
        }
    }

    private static HttpReply render(Reply reply) {
        return new HttpReply(reply.status(), CONTENT_TYPE, reply.body().toString().getBytes(StandardCharsets.UTF_8));
    }

    private void authorize(HttpRequest head) {
        if (settings.userInfo() == null) {
            return;
        }
        String expected = "Basic " + Base64.getEncoder().encodeToString(settings.userInfo().getBytes(StandardCharsets.UTF_8));
        String given = head.header("Authorization");
        if (given == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8))) {
            throw new RestError(401, RestError.UNAUTHORIZED, "Unauthorized");
        }
    }

    private Reply route(String method, String rawPath, String rawQuery, InputStream body) throws IOException {
        List<String> path = segments(rawPath);
        Map<String, String> query = query(rawQuery);
        boolean deleted = "true".equals(query.get("deleted"));
        boolean permanent = "true".equals(query.get("permanent"));
        int n = path.size();
        if (n == 0) {
            return ok(json.createObjectNode());
        }
        switch (path.get(0)) {
            case "subjects" -> {
                if (n == 1 && method.equals("GET")) {
                    ArrayNode subjects = json.createArrayNode();
                    store.subjects(deleted).stream().filter(s -> s.startsWith(query.getOrDefault("subjectPrefix", "")))
                            .forEach(subjects::add);
                    return ok(subjects);
                }
                String subject = n >= 2 ? path.get(1) : null;
                if (n == 2 && method.equals("POST")) {
                    return lookup(subject, readRequest(body), deleted);
                }
                if (n == 2 && method.equals("DELETE")) {
                    ArrayNode versions = json.createArrayNode();
                    store.deleteSubject(subject, permanent).forEach(versions::add);
                    return ok(versions);
                }
                if (n == 3 && path.get(2).equals("versions")) {
                    if (method.equals("POST")) {
                        SchemaRequest request = readRequest(body);
                        StoredSchema registered = store.register(subject, request.schema(), request.text(), request.references(), request.id());
                        return ok(json.createObjectNode().put("id", registered.id()));
                    }
                    if (method.equals("GET")) {
                        requireSubject(subject, deleted);
                        ArrayNode versions = json.createArrayNode();
                        store.versions(subject, deleted).forEach(versions::add);
                        return ok(versions);
                    }
                }
                if ((n == 4 || n == 5 && path.get(4).equals("schema")) && path.get(2).equals("versions") && method.equals("GET")) {
                    StoredSchema found = version(subject, path.get(3), deleted);
                    return ok(n == 5 ? json.readTree(found.text()) : describe(found));
                }
                if (n == 5 && path.get(2).equals("versions") && path.get(4).equals("referencedby") && method.equals("GET")) {
                    StoredSchema found = version(subject, path.get(3), true);
                    ArrayNode ids = json.createArrayNode();
                    store.referencedBy(subject, found.version()).forEach(ids::add);
                    return ok(ids);
                }
                if (n == 4 && path.get(2).equals("versions") && method.equals("DELETE")) {
                    requireSubject(subject, true);
                    int version = path.get(3).equals("latest") ? -1 : versionNumber(path.get(3));
                    return ok(json.getNodeFactory().numberNode(store.deleteVersion(subject, version, permanent)));
                }
            }
            case "schemas" -> {
                if (n == 1 && method.equals("GET")) {
                    ArrayNode schemas = json.createArrayNode();
                    store.all(query.getOrDefault("subjectPrefix", ""), "true".equals(query.get("latestOnly")), deleted)
                            .forEach(found -> schemas.add(describe(found)));
                    return ok(schemas);
                }
                if (n == 2 && path.get(1).equals("types") && method.equals("GET")) {
                    return ok(json.createArrayNode().add("AVRO"));
                }
                if (n >= 3 && path.get(1).equals("ids") && method.equals("GET")) {
                    int id = parseInt(path.get(2), 404, RestError.SCHEMA_NOT_FOUND, "Schema " + path.get(2) + " not found");
                    StoredSchema stored = store.byId(id).orElseThrow(
                            () -> new RestError(404, RestError.SCHEMA_NOT_FOUND, "Schema " + id + " not found"));
                    if (n == 4 && path.get(3).equals("schema")) {
                        return ok(json.readTree(stored.text()));
                    }
                    if (n == 3) {
                        ObjectNode answer = json.createObjectNode().put("schema", stored.text());
                        addReferences(answer, stored);
                        return ok(answer);
                    }
                    if (n == 4 && path.get(3).equals("versions")) {
                        ArrayNode uses = json.createArrayNode();
                        store.usesOf(id, deleted).forEach(u -> uses.addObject().put("subject", u.subject()).put("version", u.version()));
                        return ok(uses);
                    }
                    if (n == 4 && path.get(3).equals("subjects")) {
                        ArrayNode subjects = json.createArrayNode();
                        store.usesOf(id, deleted).stream().map(StoredSchema::subject).distinct().forEach(subjects::add);
                        return ok(subjects);
                    }
                }
            }
            case "contexts" -> {
                if (n == 1 && method.equals("GET")) {
                    return ok(json.createArrayNode().add("."));
                }
            }
            case "compatibility" -> {
                if (n == 5 && path.get(1).equals("subjects") && path.get(3).equals("versions") && method.equals("POST")) {
                    return compatibility(path.get(2), path.get(4), readRequest(body).schema(), "true".equals(query.get("verbose")));
                }
                if (n == 4 && path.get(1).equals("subjects") && path.get(3).equals("versions") && method.equals("POST")) {
                    return compatibility(path.get(2), null, readRequest(body).schema(), "true".equals(query.get("verbose")));
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
                if (n == 2 && method.equals("DELETE")) {
                    requireSubject(subject, true);
                    Compatibility old = store.clearLevel(subject).orElseThrow(() -> new RestError(404, RestError.SUBJECT_CONFIG_NOT_FOUND,
                            "Subject '" + subject + "' does not have subject-level compatibility configured"));
                    return ok(json.createObjectNode().put("compatibilityLevel", old.name()));
                }
            }
            case "mode" -> {
                String subject = n == 2 ? path.get(1) : null;
                if (n <= 2 && method.equals("GET")) {
                    if (subject == null) {
                        return ok(json.createObjectNode().put("mode", store.modeOf(null).name()));
                    }
                    Mode mode = store.subjectMode(subject).or(() -> "true".equals(query.get("defaultToGlobal"))
                            ? Optional.of(store.modeOf(null)) : Optional.empty()).orElseThrow(() -> new RestError(404,
                            RestError.SUBJECT_MODE_NOT_FOUND, "Subject '" + subject + "' does not have subject-level mode configured"));
                    return ok(json.createObjectNode().put("mode", mode.name()));
                }
                if (n <= 2 && method.equals("PUT")) {
                    String text = readJson(body).path("mode").asText("");
                    Mode mode;
                    try {
                        mode = Mode.valueOf(text);
                    } catch (IllegalArgumentException e) {
                        throw new RestError(422, RestError.INVALID_MODE, "Invalid mode. Valid values are READWRITE, READONLY and IMPORT.");
                    }
                    if (mode == Mode.IMPORT && !"true".equals(query.get("force"))
                            && (subject == null ? !store.subjects().isEmpty() : store.hasSubject(subject))) {
                        throw new RestError(422, RestError.OPERATION_NOT_PERMITTED,
                                "Cannot import since found existing subjects");
                    }
                    store.setMode(subject, mode);
                    return ok(json.createObjectNode().put("mode", mode.name()));
                }
            }
            default -> {
                // falls through to 404
            }
        }
        throw new RestError(404, 404, "HTTP 404 Not Found");
    }

    private Reply lookup(String subject, SchemaRequest request, boolean deleted) {
        requireSubject(subject, deleted);
        StoredSchema found = store.find(subject, request.schema(), request.text(), request.references(), deleted).orElseThrow(
                () -> new RestError(404, RestError.SCHEMA_NOT_FOUND, "Schema not found under subject " + subject));
        return ok(describe(found));
    }

    /**
     * {@code versionText} null: against every live version ({@code POST /compatibility/subjects/{s}/versions});
     * {@code latest}: against the latest only, whatever the level, and compatible when the subject has none
     * (Confluent's answers); a number: against that version.
     */
    private Reply compatibility(String subject, String versionText, Schema schema, boolean verbose) {
        List<Schema> against;
        if (versionText == null) {
            against = store.schemasOf(subject);
        } else if (versionText.equals("latest")) {
            against = store.version(subject, -1).map(v -> List.of(v.schema())).orElse(List.of());
        } else {
            against = List.of(version(subject, versionText, false).schema());
        }
        List<String> problems = store.incompatibilities(subject, schema, against, versionText == null);
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

    private StoredSchema version(String subject, String versionText, boolean deleted) {
        requireSubject(subject, deleted);
        int version = versionText.equals("latest") ? -1 : versionNumber(versionText);
        return store.version(subject, version, deleted).orElseThrow(
                () -> new RestError(404, RestError.VERSION_NOT_FOUND, "Version " + versionText + " not found."));
    }

    private static int versionNumber(String versionText) {
        int version = parseInt(versionText, 422, RestError.INVALID_VERSION,
                "The specified version '" + versionText + "' is not a valid version id");
        if (version <= 0) {
            throw new RestError(422, RestError.INVALID_VERSION, "The specified version '" + versionText + "' is not a valid version id");
        }
        return version;
    }

    private void requireSubject(String subject, boolean deleted) {
        if (!store.hasSubject(subject, deleted)) {
            throw new RestError(404, RestError.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
    }

    private ObjectNode describe(StoredSchema registered) {
        ObjectNode answer = json.createObjectNode()
                .put("subject", registered.subject())
                .put("version", registered.version())
                .put("id", registered.id())
                .put("schema", registered.text());
        addReferences(answer, registered);
        return answer;
    }

    private static void addReferences(ObjectNode answer, StoredSchema stored) {
        if (!stored.references().isEmpty()) {
            ArrayNode references = answer.putArray("references");
            stored.references().forEach(r -> references.addObject().put("name", r.name()).put("subject", r.subject())
                    .put("version", r.version()));
        }
    }

    /**
     * A registration or lookup body: the schema (its references resolved), its text as given, its references,
     * and an explicit id (honoured in IMPORT mode only).
     */
    private record SchemaRequest(Schema schema, String text, List<Reference> references, java.util.OptionalInt id) {
    }

    private SchemaRequest readRequest(InputStream body) throws IOException {
        JsonNode request = readJson(body);
        String type = request.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new RestError(422, RestError.INVALID_SCHEMA, "Invalid schema: schemaType " + type
                    + " is not supported by this registry (AVRO only)");
        }
        JsonNode schema = request.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new RestError(422, RestError.INVALID_SCHEMA, "Invalid schema: the request has no 'schema' string");
        }
        List<Reference> references = new ArrayList<>();
        for (JsonNode r : request.path("references")) {
            if (!r.path("name").isTextual() || !r.path("subject").isTextual() || !r.path("version").canConvertToInt()) {
                throw new RestError(422, RestError.INVALID_SCHEMA, "Invalid schema: a reference needs name, subject and version");
            }
            references.add(new Reference(r.get("name").asText(), r.get("subject").asText(), r.get("version").asInt()));
        }
        java.util.OptionalInt id = request.hasNonNull("id") && request.get("id").canConvertToInt() && request.get("id").asInt() > 0
                ? java.util.OptionalInt.of(request.get("id").asInt()) : java.util.OptionalInt.empty();
        try {
            Schema parsed = references.isEmpty() ? new Schema.Parser().parse(schema.asText()) : store.resolve(schema.asText(), references);
            return new SchemaRequest(parsed, references.isEmpty() ? parsed.toString() : schema.asText(), references, id);
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
            // Position only: Jackson's message quotes the offending token of the body.
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            throw new RestError(400, 400, "Malformed JSON" + (at == null || at.getLineNr() < 0 ? ""
                    : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
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

    private static List<String> segments(String rawPath) {
        List<String> segments = new ArrayList<>();
        for (String raw : rawPath.split("/")) {
            if (!raw.isEmpty()) {
                try {
                    segments.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw new RestError(404, 404, "HTTP 404 Not Found");
                }
            }
        }
        return segments;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> params = new java.util.HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                try {
                    String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                    String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    params.put(key, value);
                } catch (IllegalArgumentException e) {
                    throw new RestError(400, 400, "malformed query string");
                }
            }
        }
        return params;
    }
}
