package dev.safelora.requests;

import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.SelectionScope;
import java.util.Optional;
import java.util.UUID;

/**
 * A layer selection file:
 * <pre>{@code
 * {"scope": "FAMILY" | "ADAPTER", "target": family name or adapter id,
 *  "policy": {"mode": "THRESHOLD", "threshold": 0.5} | {"mode": "TOP_K", "topK": 4}
 *          | {"mode": "EXPLICIT", "layers": [0, 3], "modules": ["model.layers.5.self_attn.v_proj"]},
 *  "requestedBy": "alice",
 *  optional: "selectionId": UUID, "requestedAt": ISO-8601, "reason": "..."}
 * }</pre>
 */
final class SelectionRequests {

    private SelectionRequests() {}

    static LayerSelection read(JsonFields f, RequestReader.RequestContext context) {
        Problems problems = context.problems();
        Optional<String> givenId = f.string("selectionId");
        UUID selectionId = givenId.isPresent()
                ? RequestRules.uuid(problems, "selectionId", givenId.get())
                : context.ids().get();
        Optional<SelectionScope> scope = f.enumValue("scope", SelectionScope.class);
        if (scope.isEmpty() && !f.has("scope")) {
            problems.add("scope", "is required (FAMILY or ADAPTER)");
        }
        String target = f.requiredString("target");
        if (target != null && scope.isPresent()) {
            if (scope.get() == SelectionScope.FAMILY) {
                RequestRules.family(problems, "target", target);
            } else {
                target = RequestRules.id(problems, "target", target);
            }
        }
        SelectionPolicy policy = null;
        Optional<JsonFields> policyFields = f.object("policy");
        if (policyFields.isPresent()) {
            policy = SelectionPolicies.read(policyFields.get());
        } else if (!f.has("policy")) {
            problems.add("policy", "is required, e.g. {\"mode\": \"THRESHOLD\", \"threshold\": 0.5}");
        }
        String requestedBy = f.requiredString("requestedBy");
        var requestedAt = f.instant("requestedAt").orElseGet(context.clock()::instant);
        Optional<String> reason = f.string("reason");
        f.rejectUnknownFields();
        if (!problems.isEmpty()) {
            return null;
        }
        return LayerSelection.newBuilder()
                .setSelectionId(selectionId)
                .setScope(scope.get())
                .setTarget(target)
                .setPolicy(policy)
                .setRequestedBy(requestedBy)
                .setRequestedAt(requestedAt)
                .setReason(reason.orElse(null))
                .build();
    }
}
