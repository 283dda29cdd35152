package dev.safelora.it.pipeline;

import java.nio.file.Path;

/** The end-to-end contract on the in-process KRaft broker and registry: runs everywhere, CI included. */
class InProcessPipelineTest extends PipelineFlowContract {

    @Override
    PipelineCluster startCluster(Path dataDir) {
        return new InProcessCluster(dataDir);
    }
}
