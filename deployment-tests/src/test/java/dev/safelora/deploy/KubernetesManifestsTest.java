package dev.safelora.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** k8s/ as a platform team applies it: every object valid for its API, and the project's deployment rules hold. */
class KubernetesManifestsTest {

    private static final ManifestChecks CHECKS = new ManifestChecks();
    private static Kustomization app;
    private static Kustomization kafka;
    private static Kustomization nvidia;

    @BeforeAll
    static void load() {
        Path k8s = Repository.root().resolve("k8s");
        app = Kustomization.load(k8s);
        kafka = Kustomization.load(k8s.resolve("kafka"));
        nvidia = Kustomization.load(k8s.resolve("components/nvidia-runtime"));
    }

    @Test
    void everyObjectIsValidForItsApi() {
        assertThat(CHECKS.problems(app.manifests())).isEmpty();
        assertThat(CHECKS.problems(kafka.manifests())).isEmpty();
        assertThat(app.manifests()).extracting(Manifest::kind)
                .contains("Namespace", "ConfigMap", "Deployment", "PodDisruptionBudget", "ScaledObject", "TriggerAuthentication", "PodMonitor");
        assertThat(kafka.manifests()).extracting(Manifest::kind).containsOnly("KafkaTopic", "KafkaUser");
    }

    @Test
    void projectRulesHold() {
        Prerequisites prerequisites = Prerequisites.read(Repository.root().resolve("k8s/README.md"));
        assertThat(DeploymentRules.check(app.manifests(), kafka.manifests(), prerequisites, Repository.imageTag())).isEmpty();
    }

    @Test
    void theAppAndTheKafkaSideLiveInTheirOwnNamespaces() {
        assertThat(app.namespace()).isEqualTo("safelora");
        assertThat(kafka.namespace()).isNotEmpty().isNotEqualTo(app.namespace());
        assertThat(app.manifests()).noneMatch(m -> m.kind().startsWith("Kafka"));
    }

    @Test
    void everyYamlFileUnderK8sIsPartOfAKustomization() throws IOException {
        Set<Path> reached = new HashSet<>(app.files());
        reached.addAll(kafka.files());
        reached.addAll(nvidia.files());
        try (Stream<Path> files = Files.walk(Repository.root().resolve("k8s"))) {
            List<Path> yaml = files.filter(p -> p.toString().endsWith(".yaml")).map(p -> p.toAbsolutePath().normalize()).toList();
            assertThat(yaml).allMatch(reached::contains, "reached from k8s/, k8s/kafka or a component (else it is never validated)");
        }
    }

    @Test
    void theNvidiaComponentPatchesTheTrainer() {
        var patch = YamlFiles.document(Repository.root().resolve("k8s/components/nvidia-runtime/kustomization.yaml")).path("patches").get(0);
        assertThat(patch.path("target").path("name").asText()).isEqualTo("safelora-trainer");
        assertThat(app.manifests()).anyMatch(m -> m.kind().equals("Deployment") && m.name().equals("safelora-trainer"));
        assertThat(YamlFiles.parse(patch.path("patch").asText()).get(0).get(0).path("path").asText())
                .isEqualTo("/spec/template/spec/runtimeClassName");
    }
}
