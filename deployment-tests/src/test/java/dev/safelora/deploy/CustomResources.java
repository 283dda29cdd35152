package dev.safelora.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The custom resources this project applies, validated against the published CustomResourceDefinitions, vendored
 * under {@code src/test/resources/schemas} (SOURCES.md names each file's project, release and commit): Strimzi
 * 1.2.0 (KafkaTopic, KafkaUser; {@code kafka.strimzi.io/v1}), KEDA v2.20.2 (ScaledObject, TriggerAuthentication)
 * and prometheus-operator v0.93.0 (PodMonitor).
 *
 * <p>A CRD's {@code openAPIV3Schema} is JSON Schema (draft 4 dialect) plus Kubernetes extensions. Two of those
 * are applied here as the API server applies them: an object without {@code x-kubernetes-preserve-unknown-fields}
 * accepts only its declared properties (the server prunes the rest, and strict field validation, kubectl's
 * default, reports them as errors), and {@code x-kubernetes-int-or-string} accepts an integer or a string. CEL rules
 * ({@code x-kubernetes-validations}) are not evaluated.
 */
final class CustomResources {

    private static final List<String> CRDS = List.of(
            "schemas/strimzi-1.2.0/043-Crd-kafkatopic.yaml",
            "schemas/strimzi-1.2.0/044-Crd-kafkauser.yaml",
            "schemas/keda-v2.20.2/keda.sh_scaledobjects.yaml",
            "schemas/keda-v2.20.2/keda.sh_triggerauthentications.yaml",
            "schemas/prometheus-operator-v0.93.0/monitoring.coreos.com_podmonitors.yaml");

    private record Definition(String group, String kind, Map<String, JsonNode> servedSchemas) {
    }

    private final Map<String, Definition> byGroupKind = new HashMap<>();
    private final Map<String, Schema> compiled = new HashMap<>();
    private final SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4);

    CustomResources() {
        for (String resource : CRDS) {
            JsonNode crd = YamlFiles.parse(read(resource)).get(0);
            String group = crd.path("spec").path("group").asText();
            String kind = crd.path("spec").path("names").path("kind").asText();
            Map<String, JsonNode> served = new HashMap<>();
            for (JsonNode version : crd.path("spec").path("versions")) {
                if (version.path("served").asBoolean(false)) {
                    served.put(version.path("name").asText(), version.path("schema").path("openAPIV3Schema"));
                }
            }
            byGroupKind.put(group + "/" + kind, new Definition(group, kind, served));
        }
    }

    boolean knows(String apiVersion, String kind) {
        return byGroupKind.containsKey(group(apiVersion) + "/" + kind);
    }

    /** What the API server would refuse in {@code object}, a resource of one of the vendored CRDs. */
    List<String> problems(JsonNode object) {
        String apiVersion = object.path("apiVersion").asText();
        String kind = object.path("kind").asText();
        Definition definition = byGroupKind.get(group(apiVersion) + "/" + kind);
        if (definition == null) {
            return List.of("no vendored CRD defines " + apiVersion + " " + kind);
        }
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        JsonNode openApi = definition.servedSchemas().get(version);
        if (openApi == null) {
            return List.of(apiVersion + " " + kind + " is not served by the CRD; served: " + definition.servedSchemas().keySet());
        }
        Schema schema = compiled.computeIfAbsent(apiVersion + "/" + kind, k -> registry.getSchema(toJsonSchema(openApi)));
        List<String> problems = new ArrayList<>();
        for (Error e : schema.validate(object)) {
            problems.add(e.getInstanceLocation() + ": " + e.getMessage());
        }
        problems.addAll(KubernetesApi.metadataProblems(object.path("metadata")));
        return problems;
    }

    private static String group(String apiVersion) {
        int slash = apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    /** A copy of a CRD's structural schema with the API server's unknown-field and int-or-string rules spelled out. */
    static JsonNode toJsonSchema(JsonNode openApi) {
        JsonNode copy = openApi.deepCopy();
        tighten(copy);
        return copy;
    }

    private static void tighten(JsonNode node) {
        if (!(node instanceof ObjectNode schema)) {
            return;
        }
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            schema.remove("type");
            if (!schema.has("anyOf")) {
                ArrayNode anyOf = schema.putArray("anyOf");
                anyOf.addObject().put("type", "integer");
                anyOf.addObject().put("type", "string");
            }
        }
        if (schema.has("properties") && !schema.has("additionalProperties")
                && !schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            schema.put("additionalProperties", false);
        }
        if (schema.path("nullable").asBoolean(false) && schema.path("type").isTextual()) {
            schema.set("type", YamlFiles.JSON.createArrayNode().add(schema.path("type").asText()).add("null"));
        }
        schema.path("properties").forEach(CustomResources::tighten);
        tighten(schema.path("items"));
        tighten(schema.path("additionalProperties"));
        for (String combinator : List.of("anyOf", "allOf", "oneOf")) {
            schema.path(combinator).forEach(CustomResources::tighten);
        }
        tighten(schema.path("not"));
    }

    private static String read(String resource) {
        try (InputStream in = CustomResources.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
