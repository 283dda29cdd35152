package dev.safelora.stage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.kafka.ClientSettings;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {

    private static StageConfig config(Map<String, String> env) {
        return StageConfig.load("trainer", java.util.List.of("jobs"), null, env);
    }

    @Test
    void theTransactionalIdNamesGroupInstanceAndLoopAndTwoInstancesOnOneHostDiffer() {
        String onHost = (String) KafkaClients.transactionalProducer(config(Map.of()), "c", 0).get(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        assertThat(onHost).isEqualTo("safelora-safelora-trainer-" + KafkaClients.hostName() + "-0");

        String gpu0 = (String) KafkaClients.transactionalProducer(config(Map.of("SAFELORA_INSTANCE_ID", "gpu 0")), "c", 1)
                .get(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        String gpu1 = (String) KafkaClients.transactionalProducer(config(Map.of("SAFELORA_INSTANCE_ID", "gpu-1")), "c", 1)
                .get(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        assertThat(gpu0).isEqualTo("safelora-safelora-trainer-gpu_0-1");
        assertThat(gpu1).isEqualTo("safelora-safelora-trainer-gpu-1-1");
    }

    @Test
    void aUserCannotTurnTheTransactionalIdOffThroughProducerSettings() {
        StageConfig withOverride = StageConfig.of("trainer",
                new ClientSettings("localhost:9092", ClientSettings.plaintext("localhost:9092", "http://localhost:8081").registry(),
                        Map.of("producer.transactional.id", "mine")), Map.of("topics", "jobs", "instance.id", "a"));
        assertThat(KafkaClients.transactionalProducer(withOverride, "c", 0).get(ProducerConfig.TRANSACTIONAL_ID_CONFIG))
                .isEqualTo("safelora-safelora-trainer-a-0");
    }
}
