package dev.safelora.registry;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.SSLException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * {@link SchemaRegistryClient} over HTTP(S) with {@code java.net.http}, speaking the Confluent
 * Schema Registry REST API (also served by Karapace, Redpanda, Apicurio's ccompat API and
 * {@link SchemaRegistryServer}). Connect errors, timeouts and 5xx answers are retried with
 * exponential backoff with jitter ({@link dev.safelora.retry.Backoff}) up to {@link RegistryClientConfig#maxAttempts()} attempts; 4xx answers are
 * never retried and surface as a {@link RegistryException} carrying the registry's
 * {@code error_code} and message.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {

    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT = CONTENT_TYPE + ", application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5";

    private final RegistryClientConfig config;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final String authorization;

    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, RegisteredSchema> versionsBySubjectSchema = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, String schema) {
    }

    public HttpSchemaRegistryClient(RegistryClientConfig config) {
        this.config = config;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL);
        if (config.tls() != null) {
            builder.sslContext(config.tls().sslContext());
        }
        this.http = builder.build();
        this.authorization = config.userInfo() == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(config.userInfo().getBytes(StandardCharsets.UTF_8));
    }

    public static HttpSchemaRegistryClient of(String url) {
        return new HttpSchemaRegistryClient(RegistryClientConfig.of(url));
    }

    public RegistryClientConfig config() {
        return config;
    }

    @Override
    public String url() {
        return config.url();
    }

    @Override
    public int register(String subject, Schema schema) {
        SubjectSchema key = new SubjectSchema(subject, schema.toString());
        Integer cached = idsBySubjectSchema.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
        int id = requiredInt(answer, "id");
        idsBySubjectSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("GET", "/schemas/ids/" + id, null);
        Schema schema = parse(requiredText(answer, "schema"), "schema id " + id);
        schemasById.put(id, schema);
        return schema;
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        SubjectSchema key = new SubjectSchema(subject, schema.toString());
        RegisteredSchema cached = versionsBySubjectSchema.get(key);
        if (cached != null) {
            return cached;
        }
        RegisteredSchema found = registered(send("POST", "/subjects/" + encode(subject), schemaBody(schema)), subject);
        versionsBySubjectSchema.put(key, found);
        idsBySubjectSchema.put(key, found.id());
        return found;
    }

    @Override
    public RegisteredSchema latest(String subject) {
        return registered(send("GET", "/subjects/" + encode(subject) + "/versions/latest", null), subject);
    }

    @Override
    public RegisteredSchema version(String subject, int version) {
        return registered(send("GET", "/subjects/" + encode(subject) + "/versions/" + version, null), subject);
    }

    @Override
    public List<String> subjects() {
        List<String> subjects = new ArrayList<>();
        send("GET", "/subjects", null).forEach(node -> subjects.add(node.asText()));
        return subjects;
    }

    @Override
    public List<Integer> versions(String subject) {
        List<Integer> versions = new ArrayList<>();
        send("GET", "/subjects/" + encode(subject) + "/versions", null).forEach(node -> versions.add(node.asInt()));
        return versions;
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        return incompatibilities(subject, schema).isEmpty();
    }

    @Override
    public List<String> incompatibilities(String subject, Schema schema) {
        JsonNode answer;
        try {
            answer = send("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest?verbose=true",
                    schemaBody(schema));
        } catch (RegistryException e) {
            if (e.errorCode() == RegistryException.SUBJECT_NOT_FOUND || e.errorCode() == RegistryException.VERSION_NOT_FOUND) {
                return List.of(); // nothing registered yet: anything is compatible
            }
            throw e;
        }
        if (answer.path("is_compatible").asBoolean(false)) {
            return List.of();
        }
        List<String> reasons = new ArrayList<>();
        answer.path("messages").forEach(m -> reasons.add(m.asText()));
        if (reasons.isEmpty()) {
            reasons.add("the registry at " + url() + " reports the schema incompatible with subject " + subject);
        }
        return reasons;
    }

    @Override
    public CompatibilityLevel globalCompatibility() {
        return level(send("GET", "/config", null));
    }

    @Override
    public void setGlobalCompatibility(CompatibilityLevel level) {
        send("PUT", "/config", json.createObjectNode().put("compatibility", level.name()));
    }

    @Override
    public CompatibilityLevel compatibility(String subject) {
        try {
            return level(send("GET", "/config/" + encode(subject) + "?defaultToGlobal=true", null));
        } catch (RegistryException e) {
            // Registries without defaultToGlobal answer 404 for a subject without its own level.
            if (e.isNotFound()) {
                return globalCompatibility();
            }
            throw e;
        }
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        send("PUT", "/config/" + encode(subject), json.createObjectNode().put("compatibility", level.name()));
    }

    @Override
    public void close() {
        // java.net.http.HttpClient has no close() before Java 21; its threads end with the JVM or GC.
    }

    private CompatibilityLevel level(JsonNode answer) {
        JsonNode level = answer.has("compatibilityLevel") ? answer.get("compatibilityLevel") : answer.get("compatibility");
        if (level == null) {
            throw new RegistryException("schema registry at " + url() + " sent a config without a compatibility level: " + answer, null);
        }
        return CompatibilityLevel.parse(level.asText());
    }

    private RegisteredSchema registered(JsonNode answer, String subject) {
        int id = requiredInt(answer, "id");
        Schema schema = schemasById.computeIfAbsent(id, ignored -> parse(requiredText(answer, "schema"), "schema id " + id));
        String answeredSubject = answer.path("subject").asText(subject);
        return new RegisteredSchema(answeredSubject, requiredInt(answer, "version"), id, schema);
    }

    private ObjectNode schemaBody(Schema schema) {
        return json.createObjectNode().put("schema", schema.toString());
    }

    private Schema parse(String text, String what) {
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new RegistryException("schema registry at " + url() + " returned an unparseable Avro schema for "
                    + what + ": " + e.getMessage(), e);
        }
    }

    private int requiredInt(JsonNode answer, String field) {
        JsonNode node = answer.get(field);
        if (node == null || !node.canConvertToInt()) {
            throw new RegistryException("schema registry at " + url() + " sent no '" + field + "' in " + answer, null);
        }
        return node.asInt();
    }

    private String requiredText(JsonNode answer, String field) {
        JsonNode node = answer.get(field);
        if (node == null || !node.isTextual()) {
            throw new RegistryException("schema registry at " + url() + " sent no '" + field + "' in " + answer, null);
        }
        return node.asText();
    }

    private JsonNode send(String method, String pathAndQuery, JsonNode body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(config.url() + pathAndQuery))
                .timeout(config.requestTimeout())
                .header("Accept", ACCEPT);
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (body != null) {
            builder.header("Content-Type", CONTENT_TYPE);
            builder.method(method, HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        } else {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpRequest request = builder.build();
        String lastProblem = "no attempt made";
        Exception lastCause = null;
        for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
            if (attempt > 1) {
                sleep(config.backoff().delay(attempt - 1));
            }
            HttpResponse<String> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (SSLException e) {
                // a certificate or protocol mismatch does not heal by retrying
                throw new RegistryException("TLS handshake with the schema registry at " + url() + " failed: "
                        + describe(e) + " (check the truststore/keystore settings)", e);
            } catch (IOException e) {
                if (e.getCause() instanceof SSLException ssl) {
                    throw new RegistryException("TLS handshake with the schema registry at " + url() + " failed: "
                            + describe(ssl) + " (check the truststore/keystore settings)", e);
                }
                lastCause = e;
                lastProblem = method + " " + pathAndQuery + " failed: " + describe(e);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException("interrupted while calling the schema registry at " + url(), e);
            }
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return readJson(response.body(), method, pathAndQuery);
            }
            if (status >= 500) {
                lastCause = null;
                lastProblem = method + " " + pathAndQuery + " answered HTTP " + status + " " + errorMessage(response.body());
                continue;
            }
            throw clientError(status, response.body(), method, pathAndQuery);
        }
        throw new RegistryUnreachableException(url(), config.maxAttempts(), lastProblem, lastCause);
    }

    private RegistryException clientError(int status, String body, String method, String pathAndQuery) {
        int errorCode = status;
        String message = body == null ? "" : body.strip();
        try {
            JsonNode node = json.readTree(body);
            if (node != null && node.isObject()) {
                errorCode = node.path("error_code").asInt(status);
                message = node.path("message").asText(message);
            }
        } catch (JsonProcessingException ignored) {
            // not JSON (a proxy's page, say): keep the raw text
        }
        return new RegistryException(status, errorCode, "schema registry at " + url() + " rejected " + method + " "
                + pathAndQuery.replaceAll("\\?.*", "") + ": HTTP " + status + " error_code " + errorCode + ": " + message);
    }

    private String errorMessage(String body) {
        try {
            JsonNode node = json.readTree(body);
            if (node != null && node.has("message")) {
                return "(error_code " + node.path("error_code").asInt() + ": " + node.path("message").asText() + ")";
            }
        } catch (JsonProcessingException ignored) {
            // fall through
        }
        return body == null || body.isBlank() ? "" : "(" + body.strip() + ")";
    }

    private JsonNode readJson(String body, String method, String pathAndQuery) {
        try {
            return json.readTree(body);
        } catch (JsonProcessingException e) {
            throw new RegistryException("schema registry at " + url() + " sent invalid JSON for " + method + " "
                    + pathAndQuery + ": " + dev.safelora.files.StrictJson.problem(e) + dev.safelora.files.StrictJson.position(e), e);
        }
    }

    private static String describe(IOException e) {
        String name = e.getClass().getSimpleName();
        String message = e.getMessage();
        if ((message == null || message.isBlank()) && e.getCause() != null) {
            message = e.getCause().toString();
        }
        return message == null || message.isBlank() ? name : name + " (" + message + ")";
    }

    private static void sleep(java.time.Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while waiting to retry the schema registry", e);
        }
    }

    static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
