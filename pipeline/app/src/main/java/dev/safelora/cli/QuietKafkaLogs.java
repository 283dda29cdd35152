package dev.safelora.cli;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * A short-lived client command reports its own failure in one line; the Kafka client's repeated
 * connection warnings would drown it. They stay visible with SAFELORA_KAFKA_LOG_LEVEL set.
 */
final class QuietKafkaLogs {

    private QuietKafkaLogs() {}

    static void apply() {
        if (System.getenv("SAFELORA_KAFKA_LOG_LEVEL") == null) {
            Configurator.setLevel("org.apache.kafka", Level.ERROR);
            // its "failed authentication due to: ..." is an ERROR the command reports itself, in its one line
            Configurator.setLevel("org.apache.kafka.clients.NetworkClient", Level.OFF);
        }
    }
}
