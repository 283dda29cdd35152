package dev.safelora.audit.stage;

import dev.safelora.audit.ledger.AuditDatabase;
import dev.safelora.contracts.Topic;
import dev.safelora.stage.StageConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The audit stage's own settings, from {@code stage.audit.*} keys and the environment (which wins):
 * <table>
 *   <caption>audit keys</caption>
 *   <tr><th>file</th><th>environment</th><th>default</th></tr>
 *   <tr><td>stage.audit.jdbc.url</td><td>SAFELORA_AUDIT_JDBC_URL</td><td>jdbc:sqlite:&lt;stage.work.dir&gt;/audit.db</td></tr>
 *   <tr><td>stage.audit.jdbc.user</td><td>SAFELORA_AUDIT_JDBC_USER</td><td>none</td></tr>
 *   <tr><td>stage.audit.jdbc.password</td><td>SAFELORA_AUDIT_JDBC_PASSWORD</td><td>none (use the environment or a secret)</td></tr>
 *   <tr><td>stage.audit.anchor.interval</td><td>SAFELORA_AUDIT_ANCHOR_INTERVAL</td><td>60s; 0 turns anchoring off</td></tr>
 *   <tr><td>stage.audit.anchor.topic</td><td>-</td><td>safelora.audit-anchors.v1</td></tr>
 *   <tr><td>stage.audit.ledger.id</td><td>-</td><td>the consumer group id</td></tr>
 * </table>
 */
public record AuditSettings(AuditDatabase database, Duration anchorInterval, String anchorTopic, String ledgerId) {

    /** The keys above without {@code stage.}, for {@link StageConfig#unknownSettings}. */
    public static final List<String> KEYS = List.of("audit.jdbc.url", "audit.jdbc.user", "audit.jdbc.password",
            "audit.anchor.interval", "audit.anchor.topic", "audit.ledger.id");

    /** What the audit stage consumes unless {@code stage.topics} says otherwise: the outputs and every DLQ. */
    public static List<String> defaultTopics() {
        List<String> topics = new java.util.ArrayList<>(List.of(Topic.ALIGNMENTS.topicName(), Topic.LAYER_SELECTIONS.topicName(),
                Topic.ADAPTERS.topicName(), Topic.EVALUATIONS.topicName(), Topic.TRAINING_PROGRESS.topicName()));
        for (Topic t : Topic.values()) {
            topics.add(t.dlqName());
        }
        return List.copyOf(topics);
    }

    public static AuditSettings of(StageConfig config, Map<String, String> env) {
        Map<String, String> s = config.settings();
        String url = pick(env, "SAFELORA_AUDIT_JDBC_URL", s, "audit.jdbc.url");
        if (url == null) {
            url = "jdbc:sqlite:" + config.workDir().toAbsolutePath().normalize().resolve("audit.db");
        }
        AuditDatabase db = new AuditDatabase(url, pick(env, "SAFELORA_AUDIT_JDBC_USER", s, "audit.jdbc.user"),
                pick(env, "SAFELORA_AUDIT_JDBC_PASSWORD", s, "audit.jdbc.password"));
        String interval = pick(env, "SAFELORA_AUDIT_ANCHOR_INTERVAL", s, "audit.anchor.interval");
        Duration anchors = interval == null ? Duration.ofSeconds(60)
                : interval.strip().equals("0") ? Duration.ZERO : StageConfig.parseDuration("stage.audit.anchor.interval", interval);
        return new AuditSettings(db, anchors, s.getOrDefault("audit.anchor.topic", Topic.AUDIT_ANCHORS.topicName()),
                s.getOrDefault("audit.ledger.id", config.groupId()));
    }

    private static String pick(Map<String, String> env, String envKey, Map<String, String> settings, String key) {
        String v = env.get(envKey);
        if (v != null && !v.isBlank()) {
            return v.strip();
        }
        v = settings.get(key);
        return v == null || v.isBlank() ? null : v.strip();
    }
}
