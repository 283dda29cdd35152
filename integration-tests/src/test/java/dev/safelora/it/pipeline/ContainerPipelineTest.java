package dev.safelora.it.pipeline;

import java.nio.file.Path;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The same end-to-end contract on Confluent's broker and Schema Registry images (Testcontainers); skipped
 * where there is no Docker engine.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerPipelineTest extends PipelineFlowContract {

    @Override
    PipelineCluster startCluster(Path dataDir) {
        return new ContainerCluster();
    }
}
