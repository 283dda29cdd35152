package dev.safelora.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.registry.RegistryClientConfig;
import dev.safelora.registry.RegistryUnreachableException;
import dev.safelora.schema.TrainingPhase;
import dev.safelora.schema.TrainingProgress;
import dev.safelora.testkit.AvroFixtures;
import dev.safelora.testkit.SharedCluster;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private static SharedCluster.TestCluster cluster;
    private static HttpSchemaRegistryClient registry;

    @BeforeAll
    static void start() {
        cluster = SharedCluster.get();
        registry = cluster.registryClient();
    }

    private static String newTopic() throws Exception {
        String topic = "serde-" + UUID.randomUUID();
        try (Admin admin = Admin.create(cluster.broker().clientProperties())) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        return topic;
    }

    @Test
    void theWireFormatIsMagicByteSchemaIdThenAvroBinary() {
        String topic = "wire-" + UUID.randomUUID();
        TrainingProgress progress = AvroFixtures.sample(TrainingProgress.class, 1);
        byte[] bytes = new AvroSerializer<TrainingProgress>(registry, true).serialize(topic, progress);

        assertThat(bytes[0]).isEqualTo((byte) 0);
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(registry.lookup(topic + "-value", TrainingProgress.getClassSchema()).id()).isEqualTo(id);
        TrainingProgress decoded = AvroDeserializer.specific(registry, TrainingProgress.class).deserialize(topic, bytes);
        assertThat(decoded).isEqualTo(progress);
    }

    @Test
    void withoutAutoRegistrationAnUnregisteredSchemaIsAClearError() {
        String topic = "noauto-" + UUID.randomUUID();
        TrainingProgress progress = AvroFixtures.sample(TrainingProgress.class, 2);
        AvroSerializer<TrainingProgress> lookupOnly = new AvroSerializer<>(registry, false);
        assertThatThrownBy(() -> lookupOnly.serialize(topic, progress))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("is not registered under subject '" + topic + "-value'")
                .hasMessageContaining("auto.register.schemas is false");
        registry.register(topic + "-value", TrainingProgress.getClassSchema());
        assertThat(lookupOnly.serialize(topic, progress)).isNotEmpty();
    }

    @Test
    void theReaderResolvesFromTheWritersOlderSchemaFillingDefaults() {
        String topic = "evolve-" + UUID.randomUUID();
        // an older TrainingProgress: no 'tokensPerSecond' and no 'message' (both have defaults now)
        Schema current = TrainingProgress.getClassSchema();
        Schema older = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false,
                current.getFields().stream().filter(f -> !f.name().equals("tokensPerSecond") && !f.name().equals("message"))
                        .map(f -> new Schema.Field(f, f.schema())).toList());
        GenericRecord old = new GenericData.Record(older);
        old.put("requestId", "req-1");
        old.put("jobId", "8c6f1f4e-7a4e-4a37-9d0a-2b1f6a0e5c11");
        old.put("adapterId", "adapter-1");
        old.put("phase", new GenericData.EnumSymbol(older.getField("phase").schema(), "TRAINING"));
        old.put("epoch", 2);
        old.put("step", 40L);
        old.put("totalSteps", 100L);
        old.put("loss", 1.25);
        old.put("learningRate", 1e-4);
        old.put("reportedAt", 1_700_000_000_000L);
        byte[] bytes = new AvroSerializer<GenericRecord>(registry, true).serialize(topic, old);

        TrainingProgress read = AvroDeserializer.specific(registry, TrainingProgress.class).deserialize(topic, bytes);
        assertThat(read.getRequestId()).isEqualTo("req-1");
        assertThat(read.getJobId()).isEqualTo(UUID.fromString("8c6f1f4e-7a4e-4a37-9d0a-2b1f6a0e5c11"));
        assertThat(read.getPhase()).isEqualTo(TrainingPhase.TRAINING);
        assertThat(read.getStep()).isEqualTo(40L);
        assertThat(read.getLoss()).isEqualTo(1.25);
        assertThat(read.getReportedAt()).isEqualTo(java.time.Instant.ofEpochMilli(1_700_000_000_000L));
        assertThat(read.getTokensPerSecond()).as("reader default").isNull();
        assertThat(read.getMessage()).as("reader default").isNull();
    }

    @Test
    void genericReadingNeedsNoGeneratedClass() {
        String topic = "generic-" + UUID.randomUUID();
        TrainingProgress progress = AvroFixtures.sample(TrainingProgress.class, 3);
        byte[] bytes = new AvroSerializer<TrainingProgress>(registry, true).serialize(topic, progress);
        GenericRecord generic = AvroDeserializer.generic(registry).deserialize(topic, bytes);
        assertThat(generic.getSchema()).isEqualTo(TrainingProgress.getClassSchema());
        assertThat(generic.get("requestId").toString()).isEqualTo(progress.getRequestId());
        assertThat(generic.get("step")).isEqualTo(progress.getStep());
    }

    @Test
    void anUnknownMagicByteOnConsumeSaysWhichByte() throws Exception {
        String topic = newTopic();
        produceRaw(topic, "{\"json\":true}".getBytes());
        assertThat(consumeFailure(topic))
                .isInstanceOf(SerializationException.class)
                .hasMessage("unknown magic byte 0x7b on topic " + topic
                        + ": expected 0x00 (Confluent wire format: magic byte, 4-byte schema id, Avro binary)");
    }

    @Test
    void anUnknownSchemaIdOnConsumeSaysWhichIdAndWhichRegistry() throws Exception {
        String topic = newTopic();
        produceRaw(topic, new byte[] {0, 0, 0x0f, 0x42, 0x3f, 2, 4, 6});
        assertThat(consumeFailure(topic))
                .isInstanceOf(SerializationException.class)
                .hasMessage("unknown schema id 999999 on topic " + topic + ": the schema registry at "
                        + cluster.registryUrl() + " has no schema with that id");
    }

    @Test
    void truncatedPayloadsAreReportedAsSuch() {
        String topic = "truncated-" + UUID.randomUUID();
        AvroDeserializer<TrainingProgress> deserializer = AvroDeserializer.specific(registry, TrainingProgress.class);
        assertThatThrownBy(() -> deserializer.deserialize(topic, new byte[] {0, 0, 1}))
                .isInstanceOf(SerializationException.class)
                .hasMessage("truncated payload on topic " + topic
                        + ": 3 bytes, but the Confluent wire format needs at least 5 (magic byte 0 and a 4-byte schema id)");

        byte[] whole = new AvroSerializer<TrainingProgress>(registry, true)
                .serialize(topic, AvroFixtures.sample(TrainingProgress.class, 4));
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 6);
        int id = ByteBuffer.wrap(whole, 1, 4).getInt();
        assertThatThrownBy(() -> deserializer.deserialize(topic, cut))
                .isInstanceOf(SerializationException.class)
                .hasMessageStartingWith("truncated or corrupt Avro payload on topic " + topic + " (schema id " + id
                        + ", " + cut.length + " bytes)");
    }

    @Test
    void anUnreachableRegistryIsNotMistakenForABadRecord() {
        HttpSchemaRegistryClient down = new HttpSchemaRegistryClient(RegistryClientConfig.of("http://127.0.0.1:9")
                .withRetries(2, Duration.ofMillis(10), Duration.ofMillis(10)));
        assertThatThrownBy(() -> AvroDeserializer.specific(down, TrainingProgress.class).deserialize("t", new byte[] {0, 0, 0, 0, 1, 2}))
                .isInstanceOf(RegistryUnreachableException.class)
                .isNotInstanceOf(SerializationException.class)
                .hasMessageStartingWith("schema registry at http://127.0.0.1:9 unreachable after 2 attempts");
    }

    @Test
    void kafkaCanBuildAndConfigureTheSerdeByClassName() throws Exception {
        String topic = newTopic();
        Map<String, Object> serde = AvroSerdeConfig.of(cluster.registryUrl()).toProperties();
        Map<String, Object> producerProps = new java.util.HashMap<>(cluster.clientSettings().producerProperties());
        producerProps.putAll(serde);
        producerProps.put("key.serializer", StringSerializer.class.getName());
        producerProps.put("value.serializer", AvroSerializer.class.getName());
        TrainingProgress progress = AvroFixtures.sample(TrainingProgress.class, 5);
        try (KafkaProducer<String, TrainingProgress> producer = new KafkaProducer<>(producerProps)) {
            producer.send(new ProducerRecord<>(topic, "k", progress)).get();
        }
        Map<String, Object> consumerProps = new java.util.HashMap<>(cluster.clientSettings().standaloneConsumerProperties());
        consumerProps.putAll(serde);
        consumerProps.put("key.deserializer", StringDeserializer.class.getName());
        consumerProps.put("value.deserializer", AvroDeserializer.class.getName());
        try (KafkaConsumer<String, Object> consumer = new KafkaConsumer<>(consumerProps)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            ConsumerRecords<String, Object> records = pollSome(consumer);
            Object value = records.iterator().next().value();
            assertThat(value).as("class named by the writer schema").isInstanceOf(TrainingProgress.class).isEqualTo(progress);
        }
        assertThat(SpecificData.get().getClass(TrainingProgress.getClassSchema())).isEqualTo(TrainingProgress.class);
    }

    @Test
    void theStreamsStyleSerdeIsConfiguredFromProperties() {
        String topic = "serde-class-" + UUID.randomUUID();
        TrainingProgress progress = AvroFixtures.sample(TrainingProgress.class, 6);
        Map<String, Object> props = new java.util.HashMap<>(cluster.clientSettings().streamsProperties("app"));
        props.put(AvroSerdeConfig.SPECIFIC_VALUE_TYPE, TrainingProgress.class.getName());
        try (AvroSerde<TrainingProgress> serde = new AvroSerde<>()) {
            serde.configure(props, false);
            byte[] bytes = serde.serializer().serialize(topic, progress);
            assertThat(serde.deserializer().deserialize(topic, bytes)).isEqualTo(progress);
        }
        assertThat(registry.versions(topic + "-value")).containsExactly(1);
    }

    @Test
    void theDecodingWrapperHandsOverBadBytesInsteadOfBreakingThePoll() throws Exception {
        String topic = newTopic();
        TrainingProgress progress = AvroFixtures.sample(TrainingProgress.class, 8);
        byte[] good = new AvroSerializer<TrainingProgress>(registry, true).serialize(topic, progress);
        byte[] bad = {0x7b, 0x7d};
        produceRaw(topic, good);
        produceRaw(topic, bad);
        produceRaw(topic, good);
        List<Decoded<TrainingProgress>> values = new java.util.ArrayList<>();
        try (KafkaConsumer<String, Decoded<TrainingProgress>> consumer = new KafkaConsumer<>(
                cluster.clientSettings().standaloneConsumerProperties(), new StringDeserializer(),
                new DecodingDeserializer<>(AvroDeserializer.specific(registry, TrainingProgress.class)))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 20_000;
            while (values.size() < 3 && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
            }
        }
        assertThat(values).hasSize(3);
        assertThat(values.get(0).orThrow()).isEqualTo(progress);
        assertThat(values.get(1).isOk()).isFalse();
        assertThat(values.get(1).raw()).isEqualTo(bad);
        assertThat(values.get(1).error()).hasMessage("truncated payload on topic " + topic
                + ": 2 bytes, but the Confluent wire format needs at least 5 (magic byte 0 and a 4-byte schema id)");
        assertThatThrownBy(values.get(1)::orThrow).isSameAs(values.get(1).error());
        assertThat(values.get(2).value()).isEqualTo(progress);
    }

    private static void produceRaw(String topic, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.clientSettings().producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "key", value)).get();
        }
    }

    /** Polls the topic with the Avro deserializer and returns what broke the poll. */
    private static Throwable consumeFailure(String topic) {
        try (KafkaConsumer<String, TrainingProgress> consumer = new KafkaConsumer<>(
                cluster.clientSettings().standaloneConsumerProperties(), new StringDeserializer(),
                AvroDeserializer.specific(registry, TrainingProgress.class))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 20_000;
            while (System.currentTimeMillis() < deadline) {
                try {
                    consumer.poll(Duration.ofMillis(200));
                } catch (RecordDeserializationException e) {
                    assertThat(e.topicPartition()).isEqualTo(tp);
                    assertThat(e.offset()).isZero();
                    return e.getCause();
                }
            }
        }
        throw new AssertionError("the bad record never reached the consumer");
    }

    private static <V> ConsumerRecords<String, V> pollSome(KafkaConsumer<String, V> consumer) {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            ConsumerRecords<String, V> records = consumer.poll(Duration.ofMillis(200));
            if (!records.isEmpty()) {
                return records;
            }
        }
        throw new AssertionError("no record arrived within 20 s");
    }
}
