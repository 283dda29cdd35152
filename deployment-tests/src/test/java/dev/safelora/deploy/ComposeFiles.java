package dev.safelora.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docker/compose*.yaml: validated against the Compose Specification's JSON schema (compose-spec, vendored with its
 * commit in SOURCES.md), then the project's rules: health checks through /health, non-root read-only containers,
 * one image tag, CPU-bound thread pools, and a GPU for the trainer in the GPU override.
 */
final class ComposeFiles {

    private static final Pattern ACTIVE_PROCESSORS = Pattern.compile("-XX:ActiveProcessorCount=(\\d+)");

    private final Schema schema;

    ComposeFiles() {
        try (InputStream in = ComposeFiles.class.getClassLoader().getResourceAsStream("schemas/compose-spec/compose-spec.json")) {
            ObjectNode spec = (ObjectNode) YamlFiles.JSON.readTree(in);
            // The file's $id is the relative "compose_spec.json", which the validator refuses as a base URI; give it
            // the absolute one it is published under (its content is unchanged).
            spec.put("$id", "https://raw.githubusercontent.com/compose-spec/compose-spec/main/schema/compose-spec.json");
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7).getSchema(spec);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> schemaProblems(JsonNode compose) {
        List<String> problems = new ArrayList<>();
        for (Error e : schema.validate(compose)) {
            problems.add(e.getInstanceLocation() + ": " + e.getMessage());
        }
        return problems;
    }

    /** Compose's merge of an override file for the fields the rules read: maps merge, everything else is replaced. */
    static JsonNode merge(JsonNode base, JsonNode override) {
        if (!(base instanceof ObjectNode b) || !override.isObject()) {
            return override.deepCopy();
        }
        ObjectNode merged = b.deepCopy();
        for (Iterator<Map.Entry<String, JsonNode>> it = override.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode current = merged.get(e.getKey());
            merged.set(e.getKey(), current == null ? e.getValue().deepCopy() : merge(current, e.getValue()));
        }
        return merged;
    }

    /**
     * @param compose the merged model
     * @param gpu     whether the GPU override is applied (then the trainer must hold a GPU)
     */
    static List<String> rules(JsonNode compose, String version, boolean gpu) {
        List<String> problems = new ArrayList<>();
        JsonNode services = compose.path("services");
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String name = entry.getKey();
            JsonNode s = entry.getValue();
            String image = s.path("image").asText("");
            boolean oneShot = s.path("restart").asText("").equals("no");
            if (!oneShot && !s.path("healthcheck").has("test")) {
                problems.add(name + ": no health check");
            }
            s.path("depends_on").fieldNames().forEachRemaining(d -> {
                if (!services.has(d)) {
                    problems.add(name + ": depends on unknown service " + d);
                }
            });
            if (!image.startsWith("safelora")) {
                continue;
            }
            if (!image.endsWith(":" + version)) {
                problems.add(name + ": image " + image + " is not tagged with the project version " + version);
            }
            if (!s.path("user").asText("").matches("[1-9]\\d*:\\d+")) {
                problems.add(name + ": user is not a numeric non-root uid:gid");
            }
            if (!s.path("read_only").asBoolean(false)) {
                problems.add(name + ": root filesystem is not read_only");
            }
            if (!s.path("cap_drop").toString().contains("\"ALL\"")) {
                problems.add(name + ": cap_drop does not contain ALL");
            }
            if (s.path("healthcheck").has("test") && !s.path("healthcheck").path("test").toString().contains("/health")) {
                problems.add(name + ": health check does not ask the stage's /health");
            }
            if (s.has("cpus")) {
                String cpus = String.valueOf(s.path("cpus").asInt());
                String omp = s.path("environment").path("OMP_NUM_THREADS").asText("");
                Matcher active = ACTIVE_PROCESSORS.matcher(s.path("environment").path("JAVA_TOOL_OPTIONS").asText(""));
                if (!omp.equals(cpus)) {
                    problems.add(name + ": OMP_NUM_THREADS " + omp + " does not follow cpus " + cpus);
                }
                if (!active.find() || !active.group(1).equals(cpus)) {
                    problems.add(name + ": -XX:ActiveProcessorCount does not follow cpus " + cpus);
                }
            }
        }
        if (gpu) {
            JsonNode trainer = services.path("trainer");
            boolean hasGpu = false;
            for (JsonNode device : trainer.path("deploy").path("resources").path("reservations").path("devices")) {
                hasGpu |= device.path("capabilities").toString().contains("\"gpu\"");
            }
            if (!hasGpu) {
                problems.add("trainer: the GPU override reserves no device with capabilities [gpu]");
            }
            if (!trainer.path("image").asText().startsWith("safelora-cuda:")) {
                problems.add("trainer: the GPU override does not run the CUDA image");
            }
            if (!trainer.path("environment").path("SAFELORA_DEVICE").asText().equals("cuda")) {
                problems.add("trainer: the GPU override does not set SAFELORA_DEVICE=cuda");
            }
        }
        return problems;
    }
}
