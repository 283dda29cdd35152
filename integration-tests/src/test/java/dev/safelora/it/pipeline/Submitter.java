package dev.safelora.it.pipeline;

import dev.safelora.contracts.Topic;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.requests.ValidatedRequest;
import dev.safelora.serde.AvroSerializer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Produces what users produce (validated requests, Avro in the Confluent wire format) and what they should not (raw bytes). */
final class Submitter implements AutoCloseable {

    private final HttpSchemaRegistryClient registry;
    private final KafkaProducer<String, SpecificRecord> avro;
    private final KafkaProducer<String, byte[]> raw;

    Submitter(ClientSettings cluster) {
        registry = cluster.registryClient();
        Map<String, Object> props = cluster.producerProperties();
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        avro = new KafkaProducer<>(props, new StringSerializer(), new AvroSerializer<>(registry, true));
        raw = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    RecordMetadata submit(ValidatedRequest request) throws Exception {
        return avro.send(new ProducerRecord<>(request.topic().topicName(), request.key(), request.value())).get(30, TimeUnit.SECONDS);
    }

    RecordMetadata sendRaw(String topic, String key, byte[] value) throws Exception {
        return raw.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    RecordMetadata sendRaw(Topic topic, String key, byte[] value) throws Exception {
        return sendRaw(topic.topicName(), key, value);
    }

    @Override
    public void close() {
        avro.close();
        raw.close();
        registry.close();
    }
}
