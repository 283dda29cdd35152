package dev.safelora.it.pipeline;

import dev.safelora.cluster.EmbeddedCluster;
import dev.safelora.kafka.ClientSettings;
import java.nio.file.Path;

/**
 * The in-process KRaft broker from Apache Kafka's own jars and the registry on {@code _schemas}, with the
 * pipeline topics at three partitions (the production default), so keys really spread over partitions.
 */
final class InProcessCluster implements PipelineCluster {

    static final int PARTITIONS = 3;

    private final EmbeddedCluster cluster;

    InProcessCluster(Path dataDir) {
        this.cluster = EmbeddedCluster.start(EmbeddedCluster.Settings.of(dataDir).withPartitions(PARTITIONS));
    }

    @Override
    public ClientSettings clientSettings() {
        return cluster.clientSettings();
    }

    @Override
    public String describe() {
        return "in-process KRaft broker " + cluster.bootstrapServers() + ", in-process registry " + cluster.registryUrl();
    }

    @Override
    public void close() {
        cluster.close();
    }
}
