package dev.safelora.requests;

import dev.safelora.schema.ModelRegistration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A model registration file:
 * <pre>{@code
 * {"family": "tiny-llama", "baseUri": "file:///models/base", "alignedUri": "file:///models/chat",
 *  "registeredBy": "alice",
 *  optional: "targetModules": ["q_proj", "v_proj"], "registrationId": UUID, "registeredAt": ISO-8601,
 *            "description": "...", "labels": {"team": "nlp"},
 *            "baseModelName": "meta-llama/Llama-3.1-8B" (written into adapters as base_model_name_or_path)}
 * }</pre>
 */
final class RegistrationRequests {

    static final List<String> DEFAULT_TARGET_MODULES = List.of("q_proj", "v_proj");

    private RegistrationRequests() {}

    static ModelRegistration read(JsonFields f, RequestReader.RequestContext context) {
        Problems problems = context.problems();
        Optional<String> givenId = f.string("registrationId");
        UUID registrationId = givenId.isPresent()
                ? RequestRules.uuid(problems, "registrationId", givenId.get())
                : context.ids().get();
        String family = f.requiredString("family");
        RequestRules.family(problems, "family", family);
        String baseUri = f.requiredString("baseUri");
        boolean baseOk = baseUri != null && RequestRules.uri(problems, "baseUri", baseUri) && strict(problems, "baseUri", baseUri);
        String alignedUri = f.requiredString("alignedUri");
        boolean alignedOk = alignedUri != null && RequestRules.uri(problems, "alignedUri", alignedUri)
                && strict(problems, "alignedUri", alignedUri);
        if (baseOk && alignedOk && baseUri.equals(alignedUri)) {
            problems.add("alignedUri", "is the same checkpoint as baseUri; the alignment W_aligned - W_base would be zero");
        }
        List<String> targetModules = f.strings("targetModules").orElse(DEFAULT_TARGET_MODULES);
        RequestRules.targetModules(problems, "targetModules", targetModules);
        String registeredBy = f.requiredString("registeredBy");
        var registeredAt = f.instant("registeredAt").orElseGet(context.clock()::instant);
        Optional<String> description = f.string("description");
        Map<String, String> labels = f.stringMap("labels").orElse(Map.of());
        Optional<String> baseModelName = f.string("baseModelName");
        baseModelName.ifPresent(name -> {
            if (name.isBlank() || name.length() > 256 || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                problems.add("baseModelName", "must be 1-256 printable characters without spaces (a hub id such as org/model)");
            }
        });
        f.rejectUnknownFields();
        if (!problems.isEmpty()) {
            return null;
        }
        return ModelRegistration.newBuilder()
                .setRegistrationId(registrationId)
                .setFamily(family)
                .setBaseUri(baseUri)
                .setAlignedUri(alignedUri)
                .setTargetModules(targetModules)
                .setRegisteredBy(registeredBy)
                .setRegisteredAt(registeredAt)
                .setDescription(description.orElse(null))
                .setLabels(labels)
                .setBaseModelName(baseModelName.orElse(null))
                .build();
    }

    private static boolean strict(Problems problems, String path, String uri) {
        try {
            dev.safelora.artifacts.ArtifactUriSyntax.parse(uri);
            return true;
        } catch (IllegalArgumentException e) {
            problems.add(path, e.getMessage());
            return false;
        }
    }
}
