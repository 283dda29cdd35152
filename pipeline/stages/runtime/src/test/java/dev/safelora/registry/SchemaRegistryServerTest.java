package dev.safelora.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.registry.server.RegistryServerSettings;
import dev.safelora.registry.server.SchemaRegistryServer;
import dev.safelora.testkit.SharedBroker;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP client against the in-process server, over real HTTP, with the store on a real broker. */
class SchemaRegistryServerTest {

    private static SchemaRegistryServer server;
    private static HttpSchemaRegistryClient client;

    private static final Schema V1 = SchemaBuilder.record("Widget").namespace("test.registry").fields()
            .requiredString("name")
            .endRecord();
    /** V1 plus an optional field with a default: BACKWARD compatible. */
    private static final Schema V2 = SchemaBuilder.record("Widget").namespace("test.registry").fields()
            .requiredString("name")
            .name("size").type().intType().intDefault(1)
            .endRecord();
    /** V1 plus a required field without a default: new readers cannot read old data. */
    private static final Schema INCOMPATIBLE = SchemaBuilder.record("Widget").namespace("test.registry").fields()
            .requiredString("name")
            .requiredLong("weight")
            .endRecord();

    @BeforeAll
    static void start() {
        server = SchemaRegistryServer.start(RegistryServerSettings.defaults(SharedBroker.bootstrapServers())
                .withPortAndTopic(0, "_schemas_server_test"));
        client = HttpSchemaRegistryClient.of(server.url());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String subject() {
        return "widgets-" + UUID.randomUUID() + "-value";
    }

    @Test
    void registeringTheSameSchemaTwiceGivesTheSameIdAndOneVersion() {
        String subject = subject();
        int first = client.register(subject, V1);
        int again = HttpSchemaRegistryClient.of(server.url()).register(subject, V1); // fresh client: no cache
        assertThat(again).isEqualTo(first);
        assertThat(client.versions(subject)).containsExactly(1);
        assertThat(client.schemaById(first)).isEqualTo(V1);
        assertThat(client.subjects()).contains(subject);
    }

    @Test
    void lookupLatestAndVersionDescribeTheRegisteredSchema() {
        String subject = subject();
        int id1 = client.register(subject, V1);
        int id2 = client.register(subject, V2);
        assertThat(id2).isNotEqualTo(id1);
        assertThat(client.lookup(subject, V1)).isEqualTo(new RegisteredSchema(subject, 1, id1, V1));
        assertThat(client.latest(subject)).isEqualTo(new RegisteredSchema(subject, 2, id2, V2));
        assertThat(client.version(subject, 1)).isEqualTo(new RegisteredSchema(subject, 1, id1, V1));
        assertThat(client.versions(subject)).containsExactly(1, 2);
    }

    @Test
    void concurrentRegistrationsOfOneSchemaGetOneIdAndOneVersion() throws Exception {
        String subject = subject();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Integer>> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {
                ids.add(pool.submit(() -> HttpSchemaRegistryClient.of(server.url()).register(subject, V1)));
            }
            java.util.Set<Integer> distinct = new java.util.HashSet<>();
            for (var id : ids) {
                distinct.add(id.get());
            }
            assertThat(distinct).hasSize(1);
            assertThat(client.versions(subject)).containsExactly(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void subjectsWithCharactersThatNeedEscapingWork() {
        String subject = "odd subject/with+chars?" + UUID.randomUUID() + "-value";
        int id = client.register(subject, V1);
        assertThat(client.lookup(subject, V1).id()).isEqualTo(id);
        assertThat(client.latest(subject).subject()).isEqualTo(subject);
        assertThat(client.subjects()).contains(subject);
    }

    @Test
    void theSameSchemaUnderTwoSubjectsSharesOneId() {
        assertThat(client.register(subject(), V2)).isEqualTo(client.register(subject(), V2));
    }

    @Test
    void anIncompatibleChangeIsRejectedWith409AndTheConfluentErrorBody() throws Exception {
        String subject = subject();
        client.register(subject, V1);

        assertThatThrownBy(() -> client.register(subject, INCOMPATIBLE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.errorCode()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("incompatible", subject, "READER_FIELD_MISSING_DEFAULT_VALUE", "weight");
                });

        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(server.url() + "/subjects/" + subject + "/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        new ObjectMapper().createObjectNode().put("schema", INCOMPATIBLE.toString()).toString()))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(409);
        assertThat(raw.headers().firstValue("Content-Type")).hasValue("application/vnd.schemaregistry.v1+json");
        JsonNode body = new ObjectMapper().readTree(raw.body());
        assertThat(body.get("error_code").asInt()).isEqualTo(409);
        assertThat(body.get("message").asText()).startsWith("Schema being registered is incompatible");
        assertThat(client.versions(subject)).containsExactly(1);
    }

    @Test
    void compatibilityCheckAnswersWithoutRegistering() {
        String subject = subject();
        assertThat(client.isCompatible(subject, V1)).as("nothing registered yet").isTrue();
        client.register(subject, V1);
        assertThat(client.isCompatible(subject, V2)).isTrue();
        assertThat(client.incompatibilities(subject, INCOMPATIBLE))
                .singleElement().asString().contains("READER_FIELD_MISSING_DEFAULT_VALUE", "weight");
        assertThat(client.versions(subject)).containsExactly(1);
    }

    @Test
    void subjectConfigOverridesTheGlobalLevel() {
        String subject = subject();
        assertThat(client.compatibility(subject)).isEqualTo(client.globalCompatibility());
        client.register(subject, V1);
        client.setCompatibility(subject, CompatibilityLevel.NONE);
        assertThat(client.compatibility(subject)).isEqualTo(CompatibilityLevel.NONE);
        assertThat(client.register(subject, INCOMPATIBLE)).isPositive();
        assertThat(client.versions(subject)).containsExactly(1, 2);
    }

    @Test
    void forwardLevelRejectsWhatOldReadersCannotRead() {
        String subject = subject();
        client.setCompatibility(subject, CompatibilityLevel.FORWARD);
        client.register(subject, V2);
        // removing a field that has a default is fine for FORWARD: V2 readers fill in size=1
        assertThat(client.isCompatible(subject, V1)).isTrue();
        Schema renamed = SchemaBuilder.record("Widget").namespace("test.registry").fields().requiredInt("size").endRecord();
        assertThat(client.isCompatible(subject, renamed)).as("old readers need 'name'").isFalse();
    }

    @Test
    void globalConfigCanBeReadAndChanged() {
        CompatibilityLevel before = client.globalCompatibility();
        assertThat(before).isEqualTo(CompatibilityLevel.BACKWARD);
        client.setGlobalCompatibility(CompatibilityLevel.FULL);
        try {
            assertThat(client.globalCompatibility()).isEqualTo(CompatibilityLevel.FULL);
        } finally {
            client.setGlobalCompatibility(before);
        }
    }

    @Test
    void notFoundAnswersCarryTheConfluentErrorCodes() {
        String subject = subject();
        assertThatThrownBy(() -> client.latest(subject))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
        client.register(subject, V1);
        assertThatThrownBy(() -> client.version(subject, 7))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40402));
        assertThatThrownBy(() -> client.schemaById(987_654))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(404);
                    assertThat(e.errorCode()).isEqualTo(40403);
                });
        assertThatThrownBy(() -> client.lookup(subject, V2))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
    }

    @Test
    void anInvalidSchemaIs422With42201() throws Exception {
        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(server.url() + "/subjects/" + subject() + "/versions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"schema\":\"{\\\"type\\\":\\\"recrod\\\"}\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(422);
        assertThat(new ObjectMapper().readTree(raw.body()).get("error_code").asInt()).isEqualTo(42201);
    }

    @Test
    void rawSchemaEndpointsServeTheSchemaJson() throws Exception {
        String subject = subject();
        int id = client.register(subject, V1);
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("/schemas/ids/" + id + "/schema", "/subjects/" + subject + "/versions/latest/schema")) {
            HttpResponse<String> raw = http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(raw.statusCode()).isEqualTo(200);
            assertThat(new Schema.Parser().parse(raw.body())).isEqualTo(V1);
        }
    }

    @Test
    void aRestartOnTheSameBrokerKeepsEveryId() {
        RegistryServerSettings settings = RegistryServerSettings.defaults(SharedBroker.bootstrapServers())
                .withPortAndTopic(0, "_schemas_restart_" + UUID.randomUUID());
        int id1;
        int id2;
        int idOther;
        String subject = subject();
        String other = subject();
        try (SchemaRegistryServer first = SchemaRegistryServer.start(settings)) {
            HttpSchemaRegistryClient c = HttpSchemaRegistryClient.of(first.url());
            id1 = c.register(subject, V1);
            id2 = c.register(subject, V2);
            c.setCompatibility(other, CompatibilityLevel.NONE);
            idOther = c.register(other, INCOMPATIBLE);
        }
        try (SchemaRegistryServer second = SchemaRegistryServer.start(settings)) {
            HttpSchemaRegistryClient c = HttpSchemaRegistryClient.of(second.url());
            assertThat(c.schemaById(id1)).isEqualTo(V1);
            assertThat(c.schemaById(id2)).isEqualTo(V2);
            assertThat(c.register(subject, V1)).isEqualTo(id1);
            assertThat(c.latest(subject)).isEqualTo(new RegisteredSchema(subject, 2, id2, V2));
            assertThat(c.compatibility(other)).isEqualTo(CompatibilityLevel.NONE);
            assertThat(c.lookup(other, INCOMPATIBLE).id()).isEqualTo(idOther);
            Schema fresh = SchemaBuilder.record("Fresh").fields().requiredInt("x").endRecord();
            assertThat(c.register(subject(), fresh)).as("new ids continue after the replayed ones")
                    .isGreaterThan(Math.max(id1, Math.max(id2, idOther)));
        }
    }

    @Test
    void basicAuthIsEnforcedWhenConfigured() {
        RegistryServerSettings settings = RegistryServerSettings.defaults(SharedBroker.bootstrapServers())
                .withPortAndTopic(0, "_schemas_auth_" + UUID.randomUUID()).withUserInfo("alice:s3cret");
        try (SchemaRegistryServer secured = SchemaRegistryServer.start(settings)) {
            assertThatThrownBy(() -> HttpSchemaRegistryClient.of(secured.url()).subjects())
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e.httpStatus()).isEqualTo(401);
                        assertThat(e.errorCode()).isEqualTo(40101);
                    });
            HttpSchemaRegistryClient authed = new HttpSchemaRegistryClient(
                    RegistryClientConfig.of(secured.url()).withUserInfo("alice:s3cret"));
            int id = authed.register("auth-value", V1);
            assertThat(authed.schemaById(id)).isEqualTo(V1);

            // a stage with wrong credentials fails at start with one line, no password in it, instead of retrying
            assertThatThrownBy(() -> dev.safelora.stage.RegistryAccess.check(RegistryClientConfig.of(secured.url()).withUserInfo("alice:wrong")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("HTTP 401").hasMessageNotContaining("wrong");
            dev.safelora.stage.RegistryAccess.check(RegistryClientConfig.of(secured.url()).withUserInfo("alice:s3cret"));
            // user:password written into the URL is moved to basic auth and never shown
            RegistryClientConfig inUrl = RegistryClientConfig.of(secured.url().replace("://", "://alice:s3cret@"));
            assertThat(inUrl.url()).doesNotContain("s3cret");
            assertThat(new HttpSchemaRegistryClient(inUrl).schemaById(id)).isEqualTo(V1);
            assertThatThrownBy(() -> RegistryClientConfig.of("ftp://bob:hunter2@host:1")).hasMessageNotContaining("hunter2");
        }
    }

    @Test
    void aBodyOverTheCapIsRefusedWith413WithoutWaitingForIt() throws Exception {
        URI url = URI.create(server.url());
        try (java.net.Socket socket = new java.net.Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(10_000);
            long start = System.nanoTime();
            // declares 38 MB (the hostile request of the issue) and sends none of it: the answer must not wait for it
            socket.getOutputStream().write(("POST /subjects/" + subject() + "/versions HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: 38000000\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.ISO_8859_1));
            assertThat(in.readLine()).startsWith("HTTP/1.1 413");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void softAndHardDeletesConfigRemovalsAndModesSurviveARestart() throws Exception {
        RegistryServerSettings settings = RegistryServerSettings.defaults(SharedBroker.bootstrapServers())
                .withPortAndTopic(0, "_schemas_deletes_" + UUID.randomUUID());
        String soft = subject();
        String hard = subject();
        String frozen = subject();
        int id2;
        try (SchemaRegistryServer first = SchemaRegistryServer.start(settings)) {
            HttpSchemaRegistryClient c = HttpSchemaRegistryClient.of(first.url());
            c.register(soft, V1);
            id2 = c.register(soft, V2);
            c.register(hard, V1);
            c.register(frozen, V1);
            c.setCompatibility(frozen, CompatibilityLevel.NONE);
            assertThat(raw(first, "DELETE", "/subjects/" + soft + "/versions/1", null)).isEqualTo("1");
            assertThat(raw(first, "DELETE", "/subjects/" + hard, null)).isEqualTo("[1]");
            assertThat(raw(first, "DELETE", "/subjects/" + hard + "?permanent=true", null)).isEqualTo("[1]");
            assertThat(raw(first, "DELETE", "/config/" + frozen, null)).isEqualTo("{\"compatibilityLevel\":\"NONE\"}");
            assertThat(raw(first, "PUT", "/mode/" + frozen, "{\"mode\":\"READONLY\"}")).isEqualTo("{\"mode\":\"READONLY\"}");
        }
        try (SchemaRegistryServer second = SchemaRegistryServer.start(settings)) {
            HttpSchemaRegistryClient c = HttpSchemaRegistryClient.of(second.url());
            assertThat(c.versions(soft)).as("the soft-deleted version stays hidden").containsExactly(2);
            assertThat(raw(second, "GET", "/subjects/" + soft + "/versions?deleted=true", null)).isEqualTo("[1,2]");
            assertThat(c.latest(soft).id()).isEqualTo(id2);
            assertThat(c.subjects()).doesNotContain(hard);
            assertThat(raw(second, "GET", "/subjects?deleted=true", null)).doesNotContain(hard);
            assertThat(c.compatibility(frozen)).as("back to the global level").isEqualTo(c.globalCompatibility());
            assertThat(raw(second, "GET", "/mode/" + frozen, null)).isEqualTo("{\"mode\":\"READONLY\"}");
            assertThatThrownBy(() -> c.register(frozen, V2))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(42205));
            assertThat(c.register(soft, V1)).as("registering a soft-deleted schema again makes a new version")
                    .isEqualTo(c.version(soft, 3).id());
        }
    }

    @Test
    void schemaReferencesResolveSurviveARestartAndProtectWhatTheyReferTo() throws Exception {
        RegistryServerSettings settings = RegistryServerSettings.defaults(SharedBroker.bootstrapServers())
                .withPortAndTopic(0, "_schemas_refs_" + UUID.randomUUID());
        String ref = subject();
        String main = subject();
        String referring = "{\"type\":\"record\",\"name\":\"Main\",\"namespace\":\"test.refs\",\"fields\":"
                + "[{\"name\":\"r\",\"type\":\"test.refs.Ref\"}]}";
        ObjectMapper json = new ObjectMapper();
        var body = json.createObjectNode().put("schema", referring);
        body.putArray("references").addObject().put("name", "test.refs.Ref").put("subject", ref).put("version", 1);
        Schema referenced = SchemaBuilder.record("Ref").namespace("test.refs").fields().requiredInt("x").endRecord();
        int mainId;
        try (SchemaRegistryServer first = SchemaRegistryServer.start(settings)) {
            HttpSchemaRegistryClient c = HttpSchemaRegistryClient.of(first.url());
            c.register(ref, referenced);
            mainId = json.readTree(raw(first, "POST", "/subjects/" + main + "/versions", body.toString())).get("id").asInt();
            assertThat(json.readTree(raw(first, "POST", "/subjects/" + main, body.toString())).get("id").asInt())
                    .as("lookup with the same references").isEqualTo(mainId);
            assertThat(json.readTree(raw(first, "GET", "/schemas/ids/" + mainId, null)).get("references").get(0).get("name").asText())
                    .isEqualTo("test.refs.Ref");
        }
        try (SchemaRegistryServer second = SchemaRegistryServer.start(settings)) {
            JsonNode version = json.readTree(raw(second, "GET", "/subjects/" + main + "/versions/1", null));
            assertThat(version.get("id").asInt()).isEqualTo(mainId);
            assertThat(version.get("schema").asText()).as("served as registered").isEqualTo(json.readTree(referring).toString());
            assertThat(version.get("references").get(0).get("subject").asText()).isEqualTo(ref);
            assertThat(raw(second, "GET", "/subjects/" + ref + "/versions/1/referencedby", null)).isEqualTo("[" + mainId + "]");
            HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(second.url() + "/subjects/" + ref + "/versions/1")).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(422);
            assertThat(json.readTree(refused.body()).get("error_code").asInt()).isEqualTo(42206);
        }
    }

    private static String raw(SchemaRegistryServer registry, String method, String path, String body) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(registry.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }
}
