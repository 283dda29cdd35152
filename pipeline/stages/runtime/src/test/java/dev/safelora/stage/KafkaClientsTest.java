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
    void theTransactionalIdNamesGroupAndInstanceWhateverWasBuiltBeforeAndTwoInstancesOnOneHostDiffer() {
        String onHost = (String) KafkaClients.transactionalProducer(config(Map.of()), "c").get(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        assertThat(onHost).isEqualTo("safelora-safelora-trainer-" + KafkaClients.hostName());
        assertThat(KafkaClients.transactionalProducer(config(Map.of()), "c").get(ProducerConfig.TRANSACTIONAL_ID_CONFIG))
                .as("stable: a second build of the same stage gets the same id").isEqualTo(onHost);

        String gpu0 = (String) KafkaClients.transactionalProducer(config(Map.of("SAFELORA_INSTANCE_ID", "gpu 0")), "c")
                .get(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        String gpu1 = (String) KafkaClients.transactionalProducer(config(Map.of("SAFELORA_INSTANCE_ID", "gpu-1")), "c")
                .get(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        assertThat(gpu0).isEqualTo("safelora-safelora-trainer-gpu_0");
        assertThat(gpu1).isEqualTo("safelora-safelora-trainer-gpu-1");
        assertThat(KafkaClients.clientId(config(Map.of("SAFELORA_INSTANCE_ID", "gpu-1")))).isEqualTo("safelora-trainer-gpu-1");
    }

    @Test
    void aUserCannotTurnTheTransactionalIdOffThroughProducerSettings() {
        StageConfig withOverride = StageConfig.of("trainer",
                new ClientSettings("localhost:9092", ClientSettings.plaintext("localhost:9092", "http://localhost:8081").registry(),
                        Map.of("producer.transactional.id", "mine")), Map.of("topics", "jobs", "instance.id", "a"));
        assertThat(KafkaClients.transactionalProducer(withOverride, "c").get(ProducerConfig.TRANSACTIONAL_ID_CONFIG))
                .isEqualTo("safelora-safelora-trainer-a");
    }
}
