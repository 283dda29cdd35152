package dev.safelora.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/** One Kubernetes object as written in a file (document {@code index} of {@code file}). */
record Manifest(Path file, int index, JsonNode object) {

    String apiVersion() {
        return object.path("apiVersion").asText("");
    }

    String kind() {
        return object.path("kind").asText("");
    }

    String name() {
        return object.path("metadata").path("name").asText("");
    }

    /** For messages: {@code Deployment/safelora-trainer (k8s/trainer.yaml#0)}. */
    String where() {
        return kind() + "/" + name() + " (" + file.getFileName() + "#" + index + ")";
    }

    Manifest with(JsonNode changed) {
        return new Manifest(file, index, changed);
    }
}
