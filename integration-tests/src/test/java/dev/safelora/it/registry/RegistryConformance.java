package dev.safelora.it.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Confluent Schema Registry REST API, as a table of requests and the answers its API reference gives
 * (status, {@code error_code}, body shape), played in order against one registry. The same table runs
 * against the in-process registry (always) and against {@code confluentinc/cp-schema-registry} (where Docker
 * exists), so the table itself is checked against the real thing.
 *
 * <p>Body shapes are JSON where {@code "<int>"} matches any integer, {@code "<string>"} any string,
 * {@code "<any>"} anything; objects match when every expected field matches (extra fields are allowed),
 * arrays element by element; {@code {"$contains": x}} matches an array holding x. {@code {name}} in a
 * path or body is a value captured earlier ({@code capture} names the {@code id} of an answer) or the run's
 * subject prefix {@code {p}}.
 */
final class RegistryConformance {

    /** One request and the answer Confluent's API reference gives. */
    record Case(String what, String method, String path, String body, int status, Integer errorCode, String shape, String capture) {
        static Case of(String what, String method, String path, String body, int status, String shape) {
            return new Case(what, method, path, body, status, null, shape, null);
        }

        static Case error(String what, String method, String path, String body, int status, int errorCode) {
            return new Case(what, method, path, body, status, errorCode, null, null);
        }

        Case capturing(String name) {
            return new Case(what, method, path, body, status, errorCode, shape, name);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String V1 = schema("{\"type\":\"record\",\"name\":\"W\",\"namespace\":\"conf\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
    private static final String V2 = schema("{\"type\":\"record\",\"name\":\"W\",\"namespace\":\"conf\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
            + "{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}");
    /** Reads v2 data but not v1 data (b has no default): compatible with the latest, not with every version. */
    private static final String B_REQUIRED = schema("{\"type\":\"record\",\"name\":\"W\",\"namespace\":\"conf\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
            + "{\"name\":\"b\",\"type\":\"int\"}]}");

    private static final String REFERENCED = schema("{\"type\":\"record\",\"name\":\"Ref\",\"namespace\":\"conf\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}");
    private static final String REFERRING = withReferences(
            "{\"type\":\"record\",\"name\":\"Main\",\"namespace\":\"conf\",\"fields\":[{\"name\":\"r\",\"type\":\"conf.Ref\"}]}",
            "[{\"name\":\"conf.Ref\",\"subject\":\"{p}ref\",\"version\":1}]");

    static final List<Case> TABLE = List.of(
            Case.of("schema types include AVRO", "GET", "/schemas/types", null, 200, "{\"$contains\":\"AVRO\"}"),
            Case.of("the default context", "GET", "/contexts", null, 200, "[\".\"]"),
            Case.of("global mode", "GET", "/mode", null, 200, "{\"mode\":\"READWRITE\"}"),
            Case.of("register v1", "POST", "/subjects/{p}a/versions", V1, 200, "{\"id\":\"<int>\"}").capturing("v1"),
            Case.of("register v2", "POST", "/subjects/{p}a/versions", V2, 200, "{\"id\":\"<int>\"}").capturing("v2"),
            Case.of("registering v1 again finds it", "POST", "/subjects/{p}a/versions", V1, 200, "{\"id\":\"{v1}\"}"),
            Case.of("versions of an id", "GET", "/schemas/ids/{v1}/versions", null, 200, "[{\"subject\":\"{p}a\",\"version\":1}]"),
            Case.of("subjects of an id", "GET", "/schemas/ids/{v2}/subjects", null, 200, "[\"{p}a\"]"),
            Case.of("latest schemas by prefix", "GET", "/schemas?subjectPrefix={p}&latestOnly=true", null, 200,
                    "[{\"subject\":\"{p}a\",\"version\":2,\"id\":\"{v2}\",\"schema\":\"<string>\"}]"),
            Case.of("every schema by prefix", "GET", "/schemas?subjectPrefix={p}", null, 200,
                    "[{\"subject\":\"{p}a\",\"version\":1},{\"subject\":\"{p}a\",\"version\":2}]"),
            Case.error("an unknown id", "GET", "/schemas/ids/2000000000", null, 404, 40403),
            Case.error("version 0 is no version", "GET", "/subjects/{p}a/versions/0", null, 422, 42202),
            Case.of("compatibility with a subject that does not exist", "POST", "/compatibility/subjects/{p}none/versions/latest",
                    V1, 200, "{\"is_compatible\":true}"),
            Case.error("a numbered version of a subject that does not exist", "POST", "/compatibility/subjects/{p}none/versions/1",
                    V1, 404, 40401),
            Case.error("hard delete before soft delete", "DELETE", "/subjects/{p}a/versions/1?permanent=true", null, 404, 40407),
            Case.of("soft delete of version 1", "DELETE", "/subjects/{p}a/versions/1", null, 200, "1"),
            Case.error("soft delete twice", "DELETE", "/subjects/{p}a/versions/1", null, 404, 40406),
            Case.of("listing hides the soft-deleted version", "GET", "/subjects/{p}a/versions", null, 200, "[2]"),
            Case.of("deleted=true shows it", "GET", "/subjects/{p}a/versions?deleted=true", null, 200, "[1,2]"),
            Case.error("a soft-deleted version is not found", "GET", "/subjects/{p}a/versions/1", null, 404, 40402),
            Case.of("deleted=true finds it", "GET", "/subjects/{p}a/versions/1?deleted=true", null, 200,
                    "{\"subject\":\"{p}a\",\"version\":1,\"id\":\"{v1}\"}"),
            Case.error("lookup ignores soft-deleted versions", "POST", "/subjects/{p}a", V1, 404, 40403),
            Case.of("hard delete after soft delete", "DELETE", "/subjects/{p}a/versions/1?permanent=true", null, 200, "1"),
            Case.of("a hard-deleted version is gone", "GET", "/subjects/{p}a/versions?deleted=true", null, 200, "[2]"),
            Case.error("hard delete of a subject before soft delete", "DELETE", "/subjects/{p}a?permanent=true", null, 404, 40405),
            Case.of("soft delete of the subject", "DELETE", "/subjects/{p}a", null, 200, "[2]"),
            Case.error("soft delete of the subject twice", "DELETE", "/subjects/{p}a", null, 404, 40404),
            Case.error("a soft-deleted subject is not found", "GET", "/subjects/{p}a/versions", null, 404, 40401),
            Case.of("deleted=true lists it", "GET", "/subjects/{p}a/versions?deleted=true", null, 200, "[2]"),
            Case.of("hard delete of the subject", "DELETE", "/subjects/{p}a?permanent=true", null, 200, "[2]"),
            Case.error("a hard-deleted subject is gone", "GET", "/subjects/{p}a/versions?deleted=true", null, 404, 40401),
            Case.of("register under a second subject", "POST", "/subjects/{p}b/versions", V1, 200, "{\"id\":\"<int>\"}"),
            Case.of("subject config", "PUT", "/config/{p}b", "{\"compatibility\":\"FULL\"}", 200, "{\"compatibility\":\"FULL\"}"),
            Case.of("deleting it returns the old level", "DELETE", "/config/{p}b", null, 200, "{\"compatibilityLevel\":\"FULL\"}"),
            Case.error("no subject config left", "GET", "/config/{p}b", null, 404, 40408),
            Case.error("a path the registry does not have", "GET", "/subjects/{p}b/versions/1/nothing", null, 404, 404),
            Case.error("a method the path does not take", "PUT", "/subjects", "{}", 405, 405),
            Case.of("read-only subject", "PUT", "/mode/{p}b", "{\"mode\":\"READONLY\"}", 200, "{\"mode\":\"READONLY\"}"),
            Case.of("its mode", "GET", "/mode/{p}b", null, 200, "{\"mode\":\"READONLY\"}"),
            Case.error("registering under a read-only subject", "POST", "/subjects/{p}b/versions", V2, 422, 42205),
            Case.of("read-write again", "PUT", "/mode/{p}b", "{\"mode\":\"READWRITE\"}", 200, "{\"mode\":\"READWRITE\"}"),
            Case.of("registering works again", "POST", "/subjects/{p}b/versions", V2, 200, "{\"id\":\"{v2}\"}"),
            Case.of("transitive subject", "PUT", "/config/{p}c", "{\"compatibility\":\"BACKWARD_TRANSITIVE\"}", 200,
                    "{\"compatibility\":\"BACKWARD_TRANSITIVE\"}"),
            Case.of("c v1", "POST", "/subjects/{p}c/versions", V1, 200, "{\"id\":\"{v1}\"}"),
            Case.of("c v2", "POST", "/subjects/{p}c/versions", V2, 200, "{\"id\":\"{v2}\"}"),
            Case.of("under *_TRANSITIVE, versions/latest checks the latest only", "POST", "/compatibility/subjects/{p}c/versions/latest",
                    B_REQUIRED, 200, "{\"is_compatible\":true}"),
            Case.of("... and versions/2 agrees", "POST", "/compatibility/subjects/{p}c/versions/2", B_REQUIRED, 200, "{\"is_compatible\":true}"),
            Case.of("versions/1 does not", "POST", "/compatibility/subjects/{p}c/versions/1", B_REQUIRED, 200, "{\"is_compatible\":false}"),
            Case.of("versions (all of them) does not", "POST", "/compatibility/subjects/{p}c/versions", B_REQUIRED, 200,
                    "{\"is_compatible\":false}"),
            Case.of("a type to refer to", "POST", "/subjects/{p}ref/versions", REFERENCED, 200, "{\"id\":\"<int>\"}"),
            Case.of("a schema referring to it", "POST", "/subjects/{p}main/versions", REFERRING, 200, "{\"id\":\"<int>\"}")
                    .capturing("main"),
            Case.of("its references are served with it", "GET", "/subjects/{p}main/versions/1", null, 200,
                    "{\"id\":\"{main}\",\"references\":[{\"name\":\"conf.Ref\",\"subject\":\"{p}ref\",\"version\":1}]}"),
            Case.of("... and by id", "GET", "/schemas/ids/{main}", null, 200,
                    "{\"schema\":\"<string>\",\"references\":[{\"name\":\"conf.Ref\",\"subject\":\"{p}ref\",\"version\":1}]}"),
            Case.of("lookup with the references finds it", "POST", "/subjects/{p}main", REFERRING, 200, "{\"id\":\"{main}\",\"version\":1}"),
            Case.of("referenced by", "GET", "/subjects/{p}ref/versions/1/referencedby", null, 200, "[\"{main}\"]"),
            Case.error("a referenced version cannot be deleted", "DELETE", "/subjects/{p}ref/versions/1", null, 422, 42206),
            Case.error("nor its subject", "DELETE", "/subjects/{p}ref", null, 422, 42206),
            Case.error("a reference to nothing", "POST", "/subjects/{p}dangling/versions", withReferences(
                    "{\"type\":\"record\",\"name\":\"D\",\"namespace\":\"conf\",\"fields\":[{\"name\":\"r\",\"type\":\"conf.Nope\"}]}",
                    "[{\"name\":\"conf.Nope\",\"subject\":\"{p}nope\",\"version\":1}]"), 422, 42201));

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\w+)}");

    private RegistryConformance() {
    }

    /** Plays the whole table against the registry at {@code baseUrl} with fresh subject names. */
    static void play(String baseUrl) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        Map<String, String> values = new HashMap<>();
        values.put("p", "conf-" + UUID.randomUUID().toString().substring(0, 8) + "-");
        for (Case c : TABLE) {
            String path = fill(c.path(), values);
            HttpRequest.BodyPublisher body = c.body() == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(fill(c.body(), values));
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + path))
                    .method(c.method(), body).header("Content-Type", "application/vnd.schemaregistry.v1+json")
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            String where = c.what() + ": " + c.method() + " " + path + " answered " + response.statusCode() + " " + response.body();
            assertThat(response.statusCode()).as(where).isEqualTo(c.status());
            JsonNode answer = JSON.readTree(response.body());
            if (c.errorCode() != null) {
                assertThat(answer.path("error_code").asInt()).as(where).isEqualTo(c.errorCode());
                assertThat(answer.path("message").asText()).as(where).isNotBlank();
            }
            if (c.shape() != null) {
                assertThat(matches(JSON.readTree(fill(c.shape(), values)), answer)).as(where + "\nexpected shape " + c.shape()).isTrue();
            }
            if (c.capture() != null) {
                values.put(c.capture(), answer.path("id").asText());
            }
        }
    }

    /** A schema with references as a registration body ({@code references} is JSON, placeholders allowed). */
    private static String withReferences(String avro, String references) {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("schema", avro);
        try {
            body.set("references", JSON.readTree(references));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
        return body.toString();
    }

    /** A schema as a registration body. */
    private static String schema(String avro) {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("schema", avro);
        return body.toString();
    }

    private static String fill(String text, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    static boolean matches(JsonNode expected, JsonNode actual) {
        if (expected.isTextual()) {
            return switch (expected.asText()) {
                case "<any>" -> true;
                case "<int>" -> actual.isInt() || actual.isLong();
                case "<string>" -> actual.isTextual();
                default -> expected.equals(actual) || actual.isNumber() && expected.asText().equals(actual.asText());
            };
        }
        if (expected.isObject() && expected.has("$contains")) {
            if (!actual.isArray()) {
                return false;
            }
            for (JsonNode element : actual) {
                if (matches(expected.get("$contains"), element)) {
                    return true;
                }
            }
            return false;
        }
        if (expected.isObject()) {
            if (!actual.isObject()) {
                return false;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!actual.has(field.getKey()) || !matches(field.getValue(), actual.get(field.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (expected.isArray()) {
            if (!actual.isArray() || actual.size() != expected.size()) {
                return false;
            }
            for (int i = 0; i < expected.size(); i++) {
                if (!matches(expected.get(i), actual.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return expected.equals(actual);
    }
}
