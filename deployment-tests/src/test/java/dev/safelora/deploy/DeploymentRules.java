package dev.safelora.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.safelora.audit.stage.AuditSettings;
import dev.safelora.contracts.Topic;
import dev.safelora.stage.StageConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The project's own rules for k8s/, beyond what the API server checks: every pod under the "restricted" Pod
 * Security Standard with a read-only root filesystem and explicit writable mounts, every referenced secret or
 * config map defined (never a committed Secret) or listed as a prerequisite, one image tag, the trainer's GPU and
 * lifecycle, the audit ledger's single writer and its KafkaUser's ACLs, grace periods covering the stage runtime's
 * shutdown budget, and a KafkaTopic and KafkaUser for what the stages use.
 */
final class DeploymentRules {

    /** The most a grace period may exceed the shutdown budget: more is time a stuck pod holds its node (or GPU). */
    static final Duration GRACE_MARGIN_MAX = Duration.ofSeconds(30);

    private static final Set<String> PROJECT_IMAGES = Set.of("safelora", "safelora-planner", "safelora-cuda");
    private static final Pattern JAVACPP_CACHE = Pattern.compile("-Dorg\\.bytedeco\\.javacpp\\.cachedir=(\\S+)");
    private static final String GPU = "nvidia.com/gpu";

    private final List<Manifest> app;
    private final List<Manifest> kafka;
    private final Prerequisites prerequisites;
    private final String version;
    private final List<String> problems = new ArrayList<>();

    private DeploymentRules(List<Manifest> app, List<Manifest> kafka, Prerequisites prerequisites, String version) {
        this.app = app;
        this.kafka = kafka;
        this.prerequisites = prerequisites;
        this.version = version;
    }

    /**
     * @param app     the application's objects ({@code kubectl apply -k k8s/})
     * @param kafka   the Kafka cluster namespace's objects ({@code k8s/kafka})
     * @param version the project version the image tags must carry (without -SNAPSHOT)
     */
    static List<String> check(List<Manifest> app, List<Manifest> kafka, Prerequisites prerequisites, String version) {
        DeploymentRules rules = new DeploymentRules(app, kafka, prerequisites, version);
        rules.namespaces();
        for (Manifest m : app) {
            podSpec(m).ifPresent(pod -> rules.pod(m, pod));
        }
        rules.noCommittedSecrets();
        rules.trainer();
        rules.audit();
        rules.autoscaling();
        rules.disruptionBudgets();
        rules.topics();
        rules.users();
        return List.copyOf(rules.problems);
    }

    static Optional<JsonNode> podSpec(Manifest m) {
        return switch (m.kind()) {
            case "Deployment", "Job" -> Optional.of(m.object().path("spec").path("template").path("spec"));
            default -> Optional.empty();
        };
    }

    private void problem(Manifest m, String what) {
        problems.add(m.where() + ": " + what);
    }

    private void namespaces() {
        for (Manifest m : of(app, "Namespace")) {
            if (!"restricted".equals(m.object().path("metadata").path("labels").path("pod-security.kubernetes.io/enforce").asText())) {
                problem(m, "namespace is not labelled pod-security.kubernetes.io/enforce: restricted");
            }
        }
    }

    private void pod(Manifest m, JsonNode pod) {
        JsonNode sc = pod.path("securityContext");
        if (!sc.path("runAsNonRoot").asBoolean(false)) {
            problem(m, "pod securityContext.runAsNonRoot is not true");
        }
        if (!sc.path("runAsUser").canConvertToInt() || sc.path("runAsUser").asInt() <= 0) {
            problem(m, "pod securityContext.runAsUser is not a numeric non-root uid");
        }
        if (!sc.path("fsGroup").canConvertToInt()) {
            problem(m, "pod securityContext.fsGroup is not set (the writable volumes need it)");
        }
        if (!"RuntimeDefault".equals(sc.path("seccompProfile").path("type").asText())) {
            problem(m, "pod securityContext.seccompProfile.type is not RuntimeDefault");
        }
        for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
            if (pod.path(host).asBoolean(false)) {
                problem(m, host + " is not allowed");
            }
        }
        if (pod.path("automountServiceAccountToken").asBoolean(true)) {
            problem(m, "automountServiceAccountToken is not false (the stages do not call the API)");
        }
        Map<String, JsonNode> volumes = new HashMap<>();
        for (JsonNode v : pod.path("volumes")) {
            volumes.put(v.path("name").asText(), v);
            if (v.has("hostPath")) {
                problem(m, "volume " + v.path("name").asText() + " is a hostPath");
            }
            if (v.has("secret")) {
                String name = v.path("secret").path("secretName").asText();
                for (JsonNode item : v.path("secret").path("items")) {
                    secret(m, name, item.path("key").asText(), false);
                }
                if (!v.path("secret").has("items")) {
                    secret(m, name, null, false);
                }
            }
            if (v.has("configMap")) {
                configMap(m, v.path("configMap").path("name").asText(), false);
            }
            if (v.has("persistentVolumeClaim")) {
                String claim = v.path("persistentVolumeClaim").path("claimName").asText();
                if (named(app, "PersistentVolumeClaim", claim).isEmpty()) {
                    problem(m, "PersistentVolumeClaim " + claim + " is not defined");
                }
            }
        }
        List<JsonNode> containers = new ArrayList<>();
        pod.path("initContainers").forEach(containers::add);
        pod.path("containers").forEach(containers::add);
        for (JsonNode c : containers) {
            container(m, pod, c, volumes);
        }
    }

    private void container(Manifest m, JsonNode pod, JsonNode c, Map<String, JsonNode> volumes) {
        String name = "container " + c.path("name").asText() + ": ";
        JsonNode sc = c.path("securityContext");
        if (sc.path("allowPrivilegeEscalation").asBoolean(true)) {
            problem(m, name + "securityContext.allowPrivilegeEscalation is not false");
        }
        if (sc.path("privileged").asBoolean(false)) {
            problem(m, name + "privileged");
        }
        if (!contains(sc.path("capabilities").path("drop"), "ALL")) {
            problem(m, name + "securityContext.capabilities.drop does not contain ALL");
        }
        for (JsonNode add : sc.path("capabilities").path("add")) {
            if (!add.asText().equals("NET_BIND_SERVICE")) {
                problem(m, name + "adds capability " + add.asText() + " (restricted allows only NET_BIND_SERVICE)");
            }
        }
        if (sc.has("runAsNonRoot") && !sc.path("runAsNonRoot").asBoolean()) {
            problem(m, name + "securityContext.runAsNonRoot is false");
        }
        if (sc.has("runAsUser") && sc.path("runAsUser").asInt() <= 0) {
            problem(m, name + "securityContext.runAsUser is root");
        }
        if (!sc.path("readOnlyRootFilesystem").asBoolean(false)) {
            problem(m, name + "securityContext.readOnlyRootFilesystem is not true");
        }

        Map<String, String> env = environment(m, c);
        Set<String> mounted = new java.util.HashSet<>();
        for (JsonNode mount : c.path("volumeMounts")) {
            mounted.add(mount.path("mountPath").asText());
            if (!volumes.containsKey(mount.path("name").asText())) {
                problem(m, name + "mounts undefined volume " + mount.path("name").asText());
            }
        }
        if (!mounted.contains("/tmp")) {
            problem(m, name + "no writable volume at /tmp under a read-only root filesystem");
        }
        Matcher cache = JAVACPP_CACHE.matcher(env.getOrDefault("JAVA_TOOL_OPTIONS", ""));
        if (cache.find() && !mounted.contains(cache.group(1))) {
            problem(m, name + "JavaCPP cache dir " + cache.group(1) + " is not a mounted volume");
        }
        String workDir = env.get("SAFELORA_WORK_DIR");
        if (workDir != null && !mounted.contains(workDir)) {
            problem(m, name + "work dir " + workDir + " is not a mounted volume");
        }

        String image = c.path("image").asText();
        int colon = image.lastIndexOf(':');
        String repo = colon < 0 ? image : image.substring(0, colon);
        if (PROJECT_IMAGES.contains(repo.substring(repo.lastIndexOf('/') + 1))) {
            String tag = colon < 0 ? "" : image.substring(colon + 1);
            if (!tag.equals(version)) {
                problem(m, name + "image " + image + " is not tagged with the project version " + version);
            }
        }

        List<String> args = new ArrayList<>();
        c.path("args").forEach(a -> args.add(a.asText()));
        if (args.size() >= 2 && args.get(0).equals("stage")) {
            stage(m, pod, c, args.get(1), repo, env);
        }
    }

    private void stage(Manifest m, JsonNode pod, JsonNode c, String stage, String repo, Map<String, String> env) {
        String expectedImage = switch (stage) {
            case "planner" -> "safelora-planner";
            case "trainer" -> "safelora-cuda";
            default -> "safelora";
        };
        if (!repo.endsWith(expectedImage)) {
            problem(m, "stage " + stage + " runs image " + repo + ", expected " + expectedImage);
        }
        Duration budget = StageConfig.load(stage, List.of(Topic.TRAINING_JOBS.topicName()), null, env).shutdownBudget();
        long grace = pod.path("terminationGracePeriodSeconds").asLong(30);
        if (grace < budget.toSeconds()) {
            problem(m, "terminationGracePeriodSeconds " + grace + " is shorter than the stage's shutdown budget of "
                    + budget.toSeconds() + " s (StageConfig.shutdownBudget)");
        } else if (grace > budget.plus(GRACE_MARGIN_MAX).toSeconds()) {
            problem(m, "terminationGracePeriodSeconds " + grace + " exceeds the shutdown budget of " + budget.toSeconds()
                    + " s by more than " + GRACE_MARGIN_MAX.toSeconds() + " s: the app would never use that time");
        }
        if (!c.has("readinessProbe") || !"/health".equals(c.path("readinessProbe").path("httpGet").path("path").asText())) {
            problem(m, "stage " + stage + " has no readiness probe on /health");
        }
    }

    /** The container's environment as the stage sees it: config maps (envFrom) then literal env values. */
    private Map<String, String> environment(Manifest m, JsonNode c) {
        Map<String, String> env = new HashMap<>();
        for (JsonNode from : c.path("envFrom")) {
            boolean optional = from.path("configMapRef").path("optional").asBoolean(false)
                    || from.path("secretRef").path("optional").asBoolean(false);
            if (from.has("configMapRef")) {
                String name = from.path("configMapRef").path("name").asText();
                configMap(m, name, optional);
                named(app, "ConfigMap", name).ifPresent(cm -> cm.object().path("data").fields()
                        .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText())));
            }
            if (from.has("secretRef")) {
                secret(m, from.path("secretRef").path("name").asText(), null, optional);
            }
        }
        for (JsonNode e : c.path("env")) {
            JsonNode ref = e.path("valueFrom");
            if (ref.has("secretKeyRef")) {
                secret(m, ref.path("secretKeyRef").path("name").asText(), ref.path("secretKeyRef").path("key").asText(),
                        ref.path("secretKeyRef").path("optional").asBoolean(false));
            } else if (ref.has("configMapKeyRef")) {
                configMap(m, ref.path("configMapKeyRef").path("name").asText(), false);
            } else if (e.has("value")) {
                env.put(e.path("name").asText(), e.path("value").asText());
            }
        }
        return env;
    }

    /** A secret (and key) the app uses must be a documented prerequisite; optional ones too, so teams know of them. */
    private void secret(Manifest m, String name, String key, boolean optional) {
        Set<String> keys = prerequisites.secrets().get(name);
        if (keys == null) {
            problem(m, "secret " + name + (optional ? " (optional)" : "") + " is neither defined nor listed as a prerequisite in k8s/README.md");
        } else if (key != null && !keys.contains(key)) {
            problem(m, "secret " + name + " key " + key + " is not listed in k8s/README.md (listed: " + keys + ")");
        }
    }

    private void configMap(Manifest m, String name, boolean optional) {
        if (named(app, "ConfigMap", name).isEmpty() && !prerequisites.configMaps().containsKey(name)) {
            problem(m, "config map " + name + " is neither defined nor listed as a prerequisite in k8s/README.md");
        }
    }

    private void noCommittedSecrets() {
        for (Manifest m : of(app, "Secret")) {
            problem(m, "a committed Secret overwrites the real one on every apply; list it as a prerequisite instead");
        }
    }

    private void trainer() {
        Optional<Manifest> trainer = named(app, "Deployment", "safelora-trainer");
        if (trainer.isEmpty()) {
            problems.add("no Deployment safelora-trainer");
            return;
        }
        Manifest m = trainer.get();
        JsonNode spec = m.object().path("spec");
        String strategy = spec.path("strategy").path("type").asText("RollingUpdate");
        boolean noSurge = strategy.equals("Recreate")
                || spec.path("strategy").path("rollingUpdate").path("maxSurge").asText("").equals("0");
        if (!noSurge) {
            problem(m, "a rolling update with surge needs a second free GPU: use strategy Recreate or maxSurge 0");
        }
        for (JsonNode c : spec.path("template").path("spec").path("containers")) {
            JsonNode limit = c.path("resources").path("limits").path(GPU);
            if (!limit.asText("").equals("1")) {
                problem(m, "container " + c.path("name").asText() + " does not limit " + GPU + " to 1");
            }
        }
        if (of(app, "PodDisruptionBudget").stream().noneMatch(pdb -> selects(pdb.object().path("spec").path("selector"), m))) {
            problem(m, "no PodDisruptionBudget covers the trainer");
        }
    }

    /**
     * The audit stage: one replica, never two at once (its ledger's per-partition hash chains have a single writer:
     * LedgerStore caches the chain heads), and a KafkaUser that may read everything the stage consumes by default
     * (AuditSettings.defaultTopics), use its group and write the anchors topic, which no other user may write.
     */
    private void audit() {
        List<Manifest> audits = of(app, "Deployment").stream().filter(d -> runsStage(d, "audit")).toList();
        if (audits.size() != 1) {
            problems.add(audits.size() + " Deployments run the audit stage; its ledger needs exactly one writer");
        }
        for (Manifest m : audits) {
            JsonNode spec = m.object().path("spec");
            if (spec.path("replicas").asInt(1) != 1) {
                problem(m, "the audit stage runs " + spec.path("replicas").asText() + " replicas; its ledger needs a single writer");
            }
            String strategy = spec.path("strategy").path("type").asText("RollingUpdate");
            if (!strategy.equals("Recreate") && !spec.path("strategy").path("rollingUpdate").path("maxSurge").asText("").equals("0")) {
                problem(m, "a rolling update with surge runs two audit writers at once: use strategy Recreate or maxSurge 0");
            }
            for (Manifest so : of(app, "ScaledObject")) {
                if (so.object().path("spec").path("scaleTargetRef").path("name").asText().equals(m.name())) {
                    problem(so, "scales the audit stage, whose ledger needs a single writer");
                }
            }
            String user = credentials(m).orElse(null);
            Optional<Manifest> ku = user == null ? Optional.empty() : named(kafka, "KafkaUser", user);
            if (ku.isEmpty()) {
                continue; // users() names the missing KafkaUser
            }
            for (String topic : AuditSettings.defaultTopics()) {
                if (!allows(ku.get(), "topic", topic, "Read")) {
                    problem(ku.get(), "the audit stage consumes " + topic + " but may not Read it");
                }
            }
            if (!allows(ku.get(), "group", "safelora-audit", "Read")) {
                problem(ku.get(), "the audit stage may not Read its consumer group safelora-audit");
            }
            if (!allows(ku.get(), "topic", Topic.AUDIT_ANCHORS.topicName(), "Write")) {
                problem(ku.get(), "the audit stage may not Write its anchors to " + Topic.AUDIT_ANCHORS.topicName());
            }
        }
        for (Manifest u : of(kafka, "KafkaUser")) {
            boolean auditUser = audits.stream().anyMatch(a -> credentials(a).filter(u.name()::equals).isPresent());
            if (!auditUser && allows(u, "topic", Topic.AUDIT_ANCHORS.topicName(), "Write")) {
                problem(u, "may write " + Topic.AUDIT_ANCHORS.topicName() + ": only the audit stage may, or a rewritten ledger could be re-anchored");
            }
        }
    }

    private static boolean runsStage(Manifest deployment, String stage) {
        for (JsonNode c : deployment.object().path("spec").path("template").path("spec").path("containers")) {
            JsonNode args = c.path("args");
            if (args.size() >= 2 && args.get(0).asText().equals("stage") && args.get(1).asText().equals(stage)) {
                return true;
            }
        }
        return false;
    }

    /** The KafkaUser a Deployment logs in as: the secret its sasl.jaas.config comes from. */
    private static Optional<String> credentials(Manifest deployment) {
        for (JsonNode c : deployment.object().path("spec").path("template").path("spec").path("containers")) {
            for (JsonNode e : c.path("env")) {
                JsonNode ref = e.path("valueFrom").path("secretKeyRef");
                if ("sasl.jaas.config".equals(ref.path("key").asText())) {
                    return Optional.of(ref.path("name").asText());
                }
            }
        }
        return Optional.empty();
    }

    /** Whether a KafkaUser's simple ACLs allow {@code operation} (or All) on the named resource, literal or by prefix. */
    private static boolean allows(Manifest user, String type, String name, String operation) {
        for (JsonNode acl : user.object().path("spec").path("authorization").path("acls")) {
            JsonNode r = acl.path("resource");
            if (!r.path("type").asText().equals(type) || acl.path("type").asText("allow").equals("deny")) {
                continue;
            }
            String pattern = r.path("name").asText();
            boolean matches = r.path("patternType").asText("literal").equals("prefix") ? name.startsWith(pattern)
                    : pattern.equals("*") || pattern.equals(name);
            if (matches && (contains(acl.path("operations"), operation) || contains(acl.path("operations"), "All"))) {
                return true;
            }
        }
        return false;
    }

    private void autoscaling() {
        for (Manifest so : of(app, "ScaledObject")) {
            String target = so.object().path("spec").path("scaleTargetRef").path("name").asText();
            if (named(app, "Deployment", target).isEmpty()) {
                problem(so, "scales " + target + ", which is not a Deployment here");
            }
            for (JsonNode trigger : so.object().path("spec").path("triggers")) {
                String auth = trigger.path("authenticationRef").path("name").asText("");
                if (!auth.isEmpty() && named(app, "TriggerAuthentication", auth).isEmpty()) {
                    problem(so, "refers to TriggerAuthentication " + auth + ", which is not defined");
                }
                String topic = trigger.path("metadata").path("topic").asText("");
                if (!topic.isEmpty() && Topic.byName(topic).isEmpty()) {
                    problem(so, "scales on unknown topic " + topic);
                }
            }
        }
        for (Manifest ta : of(app, "TriggerAuthentication")) {
            for (JsonNode ref : ta.object().path("spec").path("secretTargetRef")) {
                secret(ta, ref.path("name").asText(), ref.path("key").asText(), false);
            }
        }
    }

    private void disruptionBudgets() {
        for (Manifest pdb : of(app, "PodDisruptionBudget")) {
            if (of(app, "Deployment").stream().noneMatch(d -> selects(pdb.object().path("spec").path("selector"), d))) {
                problem(pdb, "selects no Deployment");
            }
        }
    }

    private void topics() {
        Map<String, Manifest> byTopicName = new HashMap<>();
        for (Manifest t : of(kafka, "KafkaTopic")) {
            byTopicName.put(t.object().path("spec").path("topicName").asText(t.name()), t);
        }
        for (Topic topic : Topic.values()) {
            Manifest t = byTopicName.get(topic.topicName());
            if (t == null) {
                problems.add("no KafkaTopic for " + topic.topicName());
            } else {
                String policy = t.object().path("spec").path("config").path("cleanup.policy").asText("delete");
                if (topic.compacted() != policy.contains("compact")) {
                    problem(t, "cleanup.policy " + policy + " but the topic is " + (topic.compacted() ? "" : "not ") + "keyed state");
                }
            }
            if (!byTopicName.containsKey(topic.dlqName())) {
                problems.add("no KafkaTopic for " + topic.dlqName());
            }
        }
    }

    /** Each stage's credentials secret is the KafkaUser of the same name (the User Operator's secret, copied). */
    private void users() {
        Set<String> clusters = new java.util.TreeSet<>();
        for (Manifest m : kafka) {
            clusters.add(m.object().path("metadata").path("labels").path("strimzi.io/cluster").asText("<none>"));
        }
        if (clusters.size() > 1) {
            problems.add("k8s/kafka resources name different clusters (strimzi.io/cluster): " + clusters);
        }
        for (Manifest m : app) {
            podSpec(m).ifPresent(pod -> pod.path("containers").forEach(c -> c.path("env").forEach(e -> {
                JsonNode ref = e.path("valueFrom").path("secretKeyRef");
                if ("sasl.jaas.config".equals(ref.path("key").asText()) && named(kafka, "KafkaUser", ref.path("name").asText()).isEmpty()) {
                    problem(m, "uses the credentials of " + ref.path("name").asText() + ", which is no KafkaUser in k8s/kafka");
                }
            })));
        }
        for (Manifest ta : of(app, "TriggerAuthentication")) {
            for (JsonNode ref : ta.object().path("spec").path("secretTargetRef")) {
                if (ref.path("parameter").asText().equals("username") && named(kafka, "KafkaUser", ref.path("name").asText()).isEmpty()) {
                    problem(ta, "authenticates as " + ref.path("name").asText() + ", which is no KafkaUser in k8s/kafka");
                }
            }
        }
    }

    private static boolean selects(JsonNode selector, Manifest deployment) {
        JsonNode labels = deployment.object().path("spec").path("template").path("metadata").path("labels");
        JsonNode match = selector.path("matchLabels");
        if (!match.isObject() || match.isEmpty()) {
            return false;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = match.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode v : array) {
            if (v.asText().equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static List<Manifest> of(List<Manifest> manifests, String kind) {
        return manifests.stream().filter(m -> m.kind().equals(kind)).toList();
    }

    private static Optional<Manifest> named(List<Manifest> manifests, String kind, String name) {
        Predicate<Manifest> match = m -> m.kind().equals(kind) && m.name().equals(name);
        return manifests.stream().filter(match).findFirst();
    }
}
