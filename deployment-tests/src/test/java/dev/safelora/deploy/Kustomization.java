package dev.safelora.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A kustomization directory as {@code kubectl apply -k} reads it: its resources (files, or directories with their
 * own kustomization) and components, in order. Only the fields this project uses are accepted, so a typo in a
 * kustomization (which kustomize would refuse) fails here too.
 */
record Kustomization(Path dir, String namespace, List<Manifest> manifests, List<Path> files) {

    private static final Set<String> KUSTOMIZATION_FIELDS = Set.of("apiVersion", "kind", "namespace", "resources",
            "components", "images", "patches", "labels");

    static Kustomization load(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + " has no kustomization.yaml");
        }
        JsonNode k = YamlFiles.document(file);
        List<String> unknown = new ArrayList<>();
        k.fieldNames().forEachRemaining(f -> {
            if (!KUSTOMIZATION_FIELDS.contains(f)) {
                unknown.add(f);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(file + ": unknown fields " + unknown);
        }
        String kind = k.path("kind").asText();
        if (!kind.equals("Kustomization") && !kind.equals("Component")) {
            throw new IllegalArgumentException(file + ": kind must be Kustomization or Component, got " + kind);
        }
        List<Manifest> manifests = new ArrayList<>();
        List<Path> files = new ArrayList<>(List.of(file));
        for (String field : List.of("resources", "components")) {
            for (JsonNode entry : k.path(field)) {
                Path target = dir.resolve(entry.asText()).normalize();
                if (Files.isDirectory(target)) {
                    Kustomization nested = load(target);
                    manifests.addAll(nested.manifests());
                    files.addAll(nested.files());
                } else if (Files.isRegularFile(target)) {
                    files.add(target);
                    List<JsonNode> docs = YamlFiles.documents(target);
                    for (int i = 0; i < docs.size(); i++) {
                        manifests.add(new Manifest(target, i, docs.get(i)));
                    }
                } else {
                    throw new IllegalArgumentException(file + ": " + field + " entry " + entry.asText() + " does not exist");
                }
            }
        }
        return new Kustomization(dir, k.path("namespace").asText(""), List.copyOf(manifests), List.copyOf(files));
    }
}
