package dev.safelora.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.AnnotatedMethod;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The built-in Kubernetes kinds this project applies, checked against fabric8's typed model of the Kubernetes API
 * (kubernetes-model 7.5, generated from the Kubernetes OpenAPI). The model keeps fields it does not know in an
 * "additional properties" map instead of failing, while kubectl (strict field validation, the default since 1.27)
 * refuses them; so the object is read into its type and written back with those maps ignored, and every field of
 * the input that did not come back is reported as unknown. Wrong types fail the read itself.
 */
final class KubernetesApi {

    private static final Map<String, Class<?>> KINDS = Map.of(
            "v1/Namespace", Namespace.class,
            "v1/ServiceAccount", ServiceAccount.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Secret", Secret.class,
            "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
            "apps/v1/Deployment", Deployment.class,
            "batch/v1/Job", Job.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);

    /** metadata.name of these kinds: a DNS-1123 subdomain (RFC 1123, at most 253 characters). */
    private static final Pattern DNS_1123_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private static final ObjectMapper READER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** Writes model objects without their "additional properties" (unknown fields). */
    private static final ObjectMapper WRITER = JsonMapper.builder()
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnyGetter(Annotated a) {
                    return Boolean.FALSE;
                }

                @Override
                @SuppressWarnings("deprecation")
                public boolean hasAnyGetterAnnotation(AnnotatedMethod am) {
                    return false;
                }
            })
            .build();

    private KubernetesApi() {
    }

    static boolean knows(String apiVersion, String kind) {
        return KINDS.containsKey(apiVersion + "/" + kind);
    }

    /** What the API server would refuse in {@code object} (a built-in kind, see {@link #knows}). */
    static List<String> problems(JsonNode object) {
        String key = object.path("apiVersion").asText() + "/" + object.path("kind").asText();
        Class<?> type = KINDS.get(key);
        if (type == null) {
            return List.of("no such built-in kind in this project's API model: " + key);
        }
        List<String> problems = new ArrayList<>(strictRead(object, type));
        problems.addAll(nameProblems(object.path("metadata")));
        return problems;
    }

    /** Checks {@code metadata} of any object (custom resources included) as ObjectMeta. */
    static List<String> metadataProblems(JsonNode metadata) {
        List<String> problems = new ArrayList<>();
        for (String p : strictRead(metadata, ObjectMeta.class)) {
            problems.add("metadata" + p);
        }
        problems.addAll(nameProblems(metadata));
        return problems;
    }

    private static List<String> nameProblems(JsonNode metadata) {
        String name = metadata.path("name").asText("");
        if (name.isEmpty()) {
            return List.of("metadata.name is missing");
        }
        if (name.length() > 253 || !DNS_1123_SUBDOMAIN.matcher(name).matches()) {
            return List.of("metadata.name '" + name + "' is not a DNS-1123 subdomain (lower-case alphanumerics, '-' and '.',"
                    + " starting and ending with an alphanumeric)");
        }
        return List.of();
    }

    private static List<String> strictRead(JsonNode input, Class<?> type) {
        Object typed;
        try {
            typed = READER.treeToValue(input, type);
        } catch (Exception e) {
            return List.of(": does not read as " + type.getSimpleName() + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        JsonNode back = WRITER.valueToTree(typed);
        List<String> unknown = new ArrayList<>();
        compare(input, back, "", unknown);
        return unknown;
    }

    private static void compare(JsonNode input, JsonNode back, String path, List<String> unknown) {
        if (input.isObject()) {
            if (!back.isObject()) {
                return;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = input.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                JsonNode came = back.get(field.getKey());
                String at = path + "." + field.getKey();
                if (came == null) {
                    // an empty list is dropped on the way back (NON_EMPTY), not unknown
                    if (!(field.getValue().isArray() && field.getValue().isEmpty())) {
                        unknown.add(at + ": unknown field");
                    }
                } else {
                    compare(field.getValue(), came, at, unknown);
                }
            }
        } else if (input.isArray() && back.isArray()) {
            for (int i = 0; i < input.size() && i < back.size(); i++) {
                compare(input.get(i), back.get(i), path + "[" + i + "]", unknown);
            }
        }
    }
}
