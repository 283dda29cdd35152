package dev.safelora.cli;

import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.requests.ValidatedRequest;
import dev.safelora.serde.AvroSerializer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces one validated request to its topic (string key, Confluent-wire-format Avro value,
 * schema registered under {@code <topic>-value}) and waits for the broker's acknowledgement.
 */
final class RequestProducer {

    record Delivery(String topic, int partition, long offset) {

        /** What {@code submit} and the demo print for a request that was acknowledged here. */
        String line(ValidatedRequest request) {
            return "submitted " + request.kind().description() + " " + request.key() + " to " + topic
                    + " (partition " + partition + ", offset " + offset + ")";
        }
    }

    private RequestProducer() {}

    static Delivery produce(ValidatedRequest request, ClientSettings settings, Duration timeout) {
        Map<String, Object> props = settings.producerProperties();
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, millis);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, millis);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "safelora-submit");
        String topic = request.topic().topicName();
        try (HttpSchemaRegistryClient registry = settings.registryClient();
             KafkaProducer<String, SpecificRecord> producer =
                     new KafkaProducer<>(props, new StringSerializer(), new AvroSerializer<>(registry, true))) {
            RecordMetadata metadata;
            try {
                metadata = producer.send(new ProducerRecord<>(topic, request.key(), request.value()))
                        .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                if (cause instanceof org.apache.kafka.common.errors.TimeoutException
                        && String.valueOf(cause.getMessage()).contains("not present in metadata")) {
                    // the broker answers (submit checks that first) but has no such topic and does not create it
                    throw new IllegalStateException(failure(topic, settings) + "the topic does not exist and the broker did not create it within "
                            + BrokerCheck.seconds(timeout) + " (create it with `safelora topics create`)", cause);
                }
                throw new IllegalStateException(failure(topic, settings) + cause.getMessage(), cause);
            } catch (TimeoutException e) {
                throw new IllegalStateException(failure(topic, settings) + "no acknowledgement within " + timeout.toSeconds() + " s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(failure(topic, settings) + "interrupted", e);
            } catch (org.apache.kafka.common.KafkaException e) {
                throw new IllegalStateException(failure(topic, settings) + e.getMessage(), e);
            }
            return new Delivery(metadata.topic(), metadata.partition(), metadata.offset());
        }
    }

    private static String failure(String topic, ClientSettings settings) {
        return "cannot produce to " + topic + " at " + settings.bootstrapServers() + " (registry " + settings.registry().url() + "): ";
    }
}
