package dev.safelora.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The checks fail on broken manifests: each case breaks one thing in a copy of the real manifests (the mistakes a
 * platform team would hit at apply time, several of them in this repository's earlier k8s/) and expects the
 * problem to be named.
 */
class BrokenManifestsTest {

    private static final ManifestChecks CHECKS = new ManifestChecks();
    private static List<Manifest> app;
    private static List<Manifest> kafka;
    private static Prerequisites prerequisites;

    @BeforeAll
    static void load() {
        Path k8s = Repository.root().resolve("k8s");
        app = Kustomization.load(k8s).manifests();
        kafka = Kustomization.load(k8s.resolve("kafka")).manifests();
        prerequisites = Prerequisites.read(k8s.resolve("README.md"));
    }

    @Test
    void theRealManifestsPass() {
        assertThat(CHECKS.problems(app)).isEmpty();
        assertThat(rules(app, kafka)).isEmpty();
    }

    @Test
    void aKafkaTopicOfTheRemovedV1beta2ApiIsRefused() {
        Manifest topic = broken(kafka, "KafkaTopic", "safelora-adapters-v1", o -> o.put("apiVersion", "kafka.strimzi.io/v1beta2"));
        assertThat(CHECKS.problems(topic)).singleElement().asString().contains("v1beta2").contains("not served");
    }

    @Test
    void aResourceNameThatIsNotDns1123IsRefused() {
        Manifest topic = broken(kafka, "KafkaTopic", "safelora-adapters-v1", o -> ((ObjectNode) o.path("metadata")).put("name", "-schemas"));
        assertThat(CHECKS.problems(topic)).singleElement().asString().contains("DNS-1123");
    }

    @Test
    void anUnknownFieldInADeploymentIsRefused() {
        Manifest trainer = broken(app, "Deployment", "safelora-trainer",
                o -> ((ObjectNode) container(o)).put("imagePullPolicyy", "Always"));
        assertThat(CHECKS.problems(trainer)).singleElement().asString()
                .contains("spec.template.spec.containers[0].imagePullPolicyy: unknown field");
    }

    @Test
    void aWronglyTypedFieldInADeploymentIsRefused() {
        Manifest trainer = broken(app, "Deployment", "safelora-trainer",
                o -> ((ObjectNode) o.path("spec").path("template").path("spec")).put("terminationGracePeriodSeconds", "three minutes"));
        assertThat(CHECKS.problems(trainer)).singleElement().asString().contains("does not read as Deployment");
    }

    @Test
    void anAclOperationOutsideTheCrdsEnumIsRefused() {
        Manifest user = broken(kafka, "KafkaUser", "safelora-trainer",
                o -> ((ArrayNode) o.path("spec").path("authorization").path("acls").get(0).path("operations")).add("Reed"));
        assertThat(CHECKS.problems(user)).singleElement().asString().contains("operations");
    }

    @Test
    void anUnknownFieldInAScaledObjectIsRefused() {
        Manifest so = broken(app, "ScaledObject", "safelora-trainer", o -> ((ObjectNode) o.path("spec")).put("maxReplicas", 3));
        assertThat(CHECKS.problems(so)).singleElement().asString().contains("maxReplicas");
    }

    @Test
    void aTriggerAuthenticationWithoutItsSecretNameIsRefused() {
        Manifest ta = broken(app, "TriggerAuthentication", "safelora-kafka-keda",
                o -> ((ObjectNode) o.path("spec").path("secretTargetRef").get(0)).remove("name"));
        assertThat(CHECKS.problems(ta)).singleElement().asString().contains("name");
    }

    @Test
    void aContainerWithAWritableRootFilesystemBreaksTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-planner",
                o -> ((ObjectNode) container(o).path("securityContext")).put("readOnlyRootFilesystem", false));
        assertThat(rules(changed, kafka)).singleElement().asString().contains("readOnlyRootFilesystem");
    }

    @Test
    void aPodWithoutSeccompBreaksTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-alignment",
                o -> ((ObjectNode) o.path("spec").path("template").path("spec").path("securityContext")).remove("seccompProfile"));
        assertThat(rules(changed, kafka)).singleElement().asString().contains("seccompProfile");
    }

    @Test
    void aTrainerWithoutAGpuBreaksTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-trainer",
                o -> ((ObjectNode) container(o).path("resources").path("limits")).remove("nvidia.com/gpu"));
        assertThat(rules(changed, kafka)).singleElement().asString().contains("nvidia.com/gpu");
    }

    @Test
    void aRollingTrainerBreaksTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-trainer",
                o -> ((ObjectNode) o.path("spec")).remove("strategy"));
        assertThat(rules(changed, kafka)).singleElement().asString().contains("Recreate");
    }

    @Test
    void aGracePeriodShorterThanTheShutdownBudgetBreaksTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-trainer",
                o -> ((ObjectNode) o.path("spec").path("template").path("spec")).put("terminationGracePeriodSeconds", 90));
        // the trainer's budget: 30 s deadline + 120 s cancel grace + 10 s close slack
        assertThat(rules(changed, kafka)).singleElement().asString().contains("shorter than").contains("160 s");
    }

    @Test
    void aGracePeriodFarBeyondTheBudgetBreaksTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-trainer",
                o -> ((ObjectNode) o.path("spec").path("template").path("spec")).put("terminationGracePeriodSeconds", 600));
        assertThat(rules(changed, kafka)).singleElement().asString().contains("600").contains("exceeds");
    }

    @Test
    void anUndocumentedSecretBreaksTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-projector",
                o -> ((ObjectNode) container(o).path("env").get(3).path("valueFrom").path("secretKeyRef")).put("name", "safelora-typo"));
        assertThat(rules(changed, kafka)).anySatisfy(p -> assertThat(p).contains("secret safelora-typo is neither defined nor listed"));
    }

    @Test
    void aCommittedSecretBreaksTheRules() {
        List<Manifest> changed = new ArrayList<>(app);
        changed.add(new Manifest(Path.of("config.yaml"), 1, YamlFiles.parse("""
                apiVersion: v1
                kind: Secret
                metadata: {name: safelora-trainer}
                stringData: {sasl.jaas.config: change-me}
                """).get(0)));
        assertThat(CHECKS.problems(changed)).isEmpty();
        assertThat(rules(changed, kafka)).singleElement().asString().contains("committed Secret");
    }

    @Test
    void aMissingDeadLetterTopicBreaksTheRules() {
        List<Manifest> fewer = kafka.stream().filter(m -> !m.name().equals("safelora-training-jobs-v1-dlq")).toList();
        assertThat(rules(app, fewer)).singleElement().asString().contains("safelora.training-jobs.v1.dlq");
    }

    @Test
    void anImageWithAnotherTagBreaksTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-projector", o -> ((ObjectNode) container(o)).put("image", "safelora:latest"));
        assertThat(rules(changed, kafka)).singleElement().asString().contains("safelora:latest");
    }

    @Test
    void twoAuditReplicasBreakTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-audit", o -> ((ObjectNode) o.path("spec")).put("replicas", 2));
        assertThat(rules(changed, kafka)).singleElement().asString().contains("2 replicas").contains("single writer");
    }

    @Test
    void aRollingAuditStageBreaksTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-audit", o -> ((ObjectNode) o.path("spec")).remove("strategy"));
        assertThat(rules(changed, kafka)).singleElement().asString().contains("two audit writers").contains("Recreate");
    }

    @Test
    void anAuditUserThatCannotReadADeadLetterTopicBreaksTheRules() {
        List<Manifest> changed = replace(kafka, "KafkaUser", "safelora-audit", o -> {
            ArrayNode acls = (ArrayNode) o.path("spec").path("authorization").path("acls");
            for (int i = 0; i < acls.size(); i++) {
                if (acls.get(i).path("resource").path("name").asText().equals("safelora.training-jobs.v1.dlq")) {
                    acls.remove(i);
                    return;
                }
            }
            throw new AssertionError("the audit user has no ACL for safelora.training-jobs.v1.dlq");
        });
        assertThat(CHECKS.problems(changed)).isEmpty();
        assertThat(rules(app, changed)).singleElement().asString()
                .contains("consumes safelora.training-jobs.v1.dlq but may not Read it");
    }

    @Test
    void anotherUserWritingTheAnchorsTopicBreaksTheRules() {
        List<Manifest> changed = replace(kafka, "KafkaUser", "safelora-projector", o -> {
            ObjectNode acl = ((ArrayNode) o.path("spec").path("authorization").path("acls")).addObject();
            acl.putObject("resource").put("type", "topic").put("name", "safelora.audit-").put("patternType", "prefix");
            acl.putArray("operations").add("Write");
        });
        assertThat(CHECKS.problems(changed)).isEmpty();
        assertThat(rules(app, changed)).singleElement().asString().contains("safelora-projector").contains("only the audit stage");
    }

    @Test
    void anAuditDatabaseKeyMissingFromThePrerequisitesBreaksTheRules() {
        List<Manifest> changed = replace(app, "Deployment", "safelora-audit",
                o -> ((ObjectNode) container(o).path("env").get(4).path("valueFrom").path("secretKeyRef")).put("key", "url"));
        assertThat(rules(changed, kafka)).singleElement().asString().contains("secret safelora-audit-db key url is not listed");
    }

    private static List<String> rules(List<Manifest> appManifests, List<Manifest> kafkaManifests) {
        return DeploymentRules.check(appManifests, kafkaManifests, prerequisites, Repository.imageTag());
    }

    private static JsonNode container(JsonNode deployment) {
        return deployment.path("spec").path("template").path("spec").path("containers").get(0);
    }

    private static Manifest broken(List<Manifest> manifests, String kind, String name, Consumer<ObjectNode> change) {
        Manifest original = manifests.stream().filter(m -> m.kind().equals(kind) && m.name().equals(name)).findFirst().orElseThrow();
        ObjectNode copy = original.object().deepCopy();
        change.accept(copy);
        return original.with(copy);
    }

    private static List<Manifest> replace(List<Manifest> manifests, String kind, String name, Consumer<ObjectNode> change) {
        Manifest changed = broken(manifests, kind, name, change);
        return manifests.stream().map(m -> m.kind().equals(kind) && m.name().equals(name) ? changed : m).toList();
    }
}
