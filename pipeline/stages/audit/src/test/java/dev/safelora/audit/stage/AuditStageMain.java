package dev.safelora.audit.stage;

import dev.safelora.stage.StageConfig;
import dev.safelora.stage.StageMetrics;
import dev.safelora.stage.StageProcess;

/** The audit stage as its own process, configured by the SAFELORA_* environment: what the kill -9 test runs. */
public final class AuditStageMain {

    private AuditStageMain() {}

    public static void main(String[] args) throws Exception {
        StageConfig config = AuditStage.config(null, System.getenv());
        StageMetrics metrics = new StageMetrics();
        StageProcess.run(config, metrics, AuditStage.loop(config, metrics, System.getenv()));
    }
}
