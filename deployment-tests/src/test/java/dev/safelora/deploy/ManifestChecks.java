package dev.safelora.deploy;

import java.util.ArrayList;
import java.util.List;

/** Validates objects against the API they belong to: the built-in Kubernetes model or a vendored CRD. */
final class ManifestChecks {

    private final CustomResources customResources = new CustomResources();

    List<String> problems(Manifest m) {
        List<String> problems = new ArrayList<>();
        List<String> found;
        if (KubernetesApi.knows(m.apiVersion(), m.kind())) {
            found = KubernetesApi.problems(m.object());
        } else if (customResources.knows(m.apiVersion(), m.kind())) {
            found = customResources.problems(m.object());
        } else {
            found = List.of("unknown kind " + m.apiVersion() + " " + m.kind() + " (neither a built-in kind nor a vendored CRD)");
        }
        for (String p : found) {
            problems.add(m.where() + ": " + p);
        }
        return problems;
    }

    List<String> problems(List<Manifest> manifests) {
        List<String> problems = new ArrayList<>();
        manifests.forEach(m -> problems.addAll(problems(m)));
        return problems;
    }
}
