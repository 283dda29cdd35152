package dev.safelora.stage;

import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Where a stage loop gets its Kafka clients, from the properties {@link KafkaClients} computed: the real
 * clients in production, Kafka's {@code MockConsumer}/{@code MockProducer} in the loops' unit tests (which
 * drive rebalances, commit failures, fencing and empty polls in milliseconds), or a wrapper of the real ones.
 *
 * @param consumers makes the loop's consumer
 * @param producers makes its producers: the plain one, and with {@code stage.exactly.once} the transactional one
 *                  (its properties hold {@code transactional.id})
 */
public record StageClients(Function<Map<String, Object>, Consumer<byte[], byte[]>> consumers,
                           Function<Map<String, Object>, Producer<byte[], byte[]>> producers) {

    /** The real clients. */
    public static StageClients kafka() {
        return new StageClients(KafkaConsumer::new, KafkaProducer::new);
    }

    /** These clients, except the transactional producer, which {@code transactional} makes. */
    public StageClients withTransactionalProducers(Function<Map<String, Object>, Producer<byte[], byte[]>> transactional) {
        Function<Map<String, Object>, Producer<byte[], byte[]>> plain = producers;
        return new StageClients(consumers,
                props -> props.containsKey(ProducerConfig.TRANSACTIONAL_ID_CONFIG) ? transactional.apply(props) : plain.apply(props));
    }
}
