package dev.safelora.stage;

import static dev.safelora.stage.StageTestKit.await;
import static dev.safelora.stage.StageTestKit.committed;
import static dev.safelora.stage.StageTestKit.createTopics;
import static dev.safelora.stage.StageTestKit.produce;
import static dev.safelora.stage.StageTestKit.readAll;
import static dev.safelora.stage.StageTestKit.unique;
import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.ModelRegistration;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.testkit.SharedCluster;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stage wired the way the real ones are: Confluent-wire-format Avro in and out through the in-process
 * schema registry. Bytes with a wrong magic byte, an unknown schema id and a record the handler rejects
 * each land in the DLQ with their own cause; the valid records are processed.
 */
class AvroStageTest {

    @TempDir Path work;

    private static ModelRegistration registration(String family) {
        return ModelRegistration.newBuilder()
                .setRegistrationId(UUID.nameUUIDFromBytes(family.getBytes(StandardCharsets.UTF_8)))
                .setFamily(family)
                .setBaseUri("file:///models/" + family + "/base")
                .setAlignedUri("file:///models/" + family + "/chat")
                .setRegisteredBy("ci")
                .setRegisteredAt(Instant.ofEpochMilli(1_700_000_000_000L))
                .build();
    }

    @Test
    void avroStageDeadLettersEachKindOfBadInputAndProcessesTheRest() throws Exception {
        String in = unique("registrations");
        String out = unique("accepted");
        createTopics(1, in, out, in + ".dlq");
        HttpSchemaRegistryClient registry = SharedCluster.get().registryClient();
        AvroSerializer<ModelRegistration> producerSide = new AvroSerializer<>(registry, true);
        byte[] unknownId = ByteBuffer.allocate(9).put((byte) 0).putInt(987_654).putInt(42).array();
        produce(List.of(
                new ProducerRecord<>(in, 0, b("llama"), producerSide.serialize(in, registration("llama"))),
                new ProducerRecord<>(in, 0, b("json"), b("{\"family\":\"llama\"}")),
                new ProducerRecord<>(in, 0, b("ghost"), unknownId),
                new ProducerRecord<>(in, 0, b("Bad Family!"), producerSide.serialize(in, registration("Bad Family!"))),
                new ProducerRecord<>(in, 0, b("qwen"), producerSide.serialize(in, registration("qwen")))));

        StageConfig config = StageTestKit.config("alignment", unique("group"), in, work, Map.of());
        RecordHandler<ModelRegistration, SpecificRecord> handler = r -> {
            if (!r.value().getFamily().matches("[a-z0-9][a-z0-9._-]{0,63}")) {
                throw new BadInputException("family '" + r.value().getFamily() + "' is not [a-z0-9][a-z0-9._-]{0,63}");
            }
            return List.of(Output.of(out, r.key(), r.value()));
        };
        RecordLoop<ModelRegistration, SpecificRecord> loop = new RecordLoop<>(config,
                AvroDeserializer.specific(registry, ModelRegistration.class), new AvroSerializer<>(registry, true), handler,
                new StageMetrics());
        loop.start();
        try {
            await("two accepted", Duration.ofSeconds(30), () -> readAll(out).size() == 2);
            AvroDeserializer<ModelRegistration> reader = AvroDeserializer.specific(registry, ModelRegistration.class);
            assertThat(readAll(out)).extracting(r -> reader.deserialize(out, r.value()).getFamily()).containsExactly("llama", "qwen");

            await("three dead letters", Duration.ofSeconds(10), () -> readAll(in + ".dlq").size() == 3);
            List<ConsumerRecord<byte[], byte[]>> dlq = readAll(in + ".dlq");
            assertThat(dlq).extracting(r -> new String(r.key(), StandardCharsets.UTF_8)).containsExactly("json", "ghost", "Bad Family!");
            assertThat(dlq).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.CAUSE))
                    .containsExactly("DESERIALIZATION", "UNKNOWN_SCHEMA", "VALIDATION");
            assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.ERROR_MESSAGE)).contains("unknown magic byte 0x7b");
            assertThat(DeadLetters.header(dlq.get(1).headers(), DeadLetters.ERROR_MESSAGE)).contains("unknown schema id 987654");
            assertThat(dlq.get(1).value()).isEqualTo(unknownId);
            assertThat(reader.deserialize(in, dlq.get(2).value()).getFamily()).as("original bytes, still decodable").isEqualTo("Bad Family!");
            await("committed", Duration.ofSeconds(10), () -> {
                try {
                    return committed(config.groupId(), in).equals(Map.of(0, 5L));
                } catch (Exception e) {
                    return false;
                }
            });
        } finally {
            loop.shutdown();
            assertThat(loop.awaitTermination(Duration.ofSeconds(20))).isTrue();
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
