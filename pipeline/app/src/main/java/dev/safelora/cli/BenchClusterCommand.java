package dev.safelora.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;

import dev.safelora.broker.BrokerSettings;
import dev.safelora.broker.EmbeddedKafkaBroker;
import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.registry.server.RegistryServerSettings;
import dev.safelora.registry.server.SchemaRegistryServer;
import dev.safelora.schema.TrainingPhase;
import dev.safelora.schema.TrainingProgress;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.files.FileTrees;
import dev.safelora.topics.TopicBootstrap;
import dev.safelora.topics.TopicSettings;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Hidden benchmark of the Kafka side: broker start/restart, topic bootstrap, registry replay, serde and round-trip rates. */
@Command(name = "bench-cluster", hidden = true, mixinStandardHelpOptions = true,
        description = "Times the in-process broker (fresh start, restart), the topic bootstrap, the registry's replay, "
                + "the Avro serde and produce/consume through the broker.")
public final class BenchClusterCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--records", defaultValue = "20000", description = "Records for the serde and produce/consume rates (default: ${DEFAULT-VALUE}).")
    int records;

    @Option(names = "--schemas", defaultValue = "200", description = "Subjects registered before timing the registry's replay (default: ${DEFAULT-VALUE}).")
    int schemas;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = Files.createTempDirectory("safelora-bench-cluster");
        long t0 = System.nanoTime();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir));
        out.printf("broker fresh start (format + start):   %6d ms%n", ms(t0));
        try {
            t0 = System.nanoTime();
            try (Admin admin = Admin.create(broker.clientProperties())) {
                TopicBootstrap.Result result = TopicBootstrap.run(admin, TopicSettings.defaults().withPartitions(3).withReplicationFactor((short) 1));
                out.printf("topic bootstrap (%d topics, 3 parts):  %6d ms%n", result.created().size(), ms(t0));
            }
            broker.close();
            t0 = System.nanoTime();
            broker = EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir));
            out.printf("broker restart on the same data:        %6d ms%n", ms(t0));

            RegistryServerSettings registrySettings = RegistryServerSettings.defaults(broker.bootstrapServers());
            try (SchemaRegistryServer registry = SchemaRegistryServer.start(registrySettings)) {
                HttpSchemaRegistryClient client = HttpSchemaRegistryClient.of(registry.url());
                t0 = System.nanoTime();
                for (int i = 0; i < schemas; i++) {
                    Schema schema = SchemaBuilder.record("R" + i).fields().requiredInt("f" + i).endRecord();
                    client.register("bench-" + i + "-value", schema);
                }
                out.printf("register %5d schemas over HTTP:        %6d ms (%.2f ms each)%n", schemas, ms(t0), ms(t0) / (double) schemas);
            }
            t0 = System.nanoTime();
            try (SchemaRegistryServer registry = SchemaRegistryServer.start(registrySettings)) {
                out.printf("registry restart, replaying %5d:       %6d ms%n", schemas, ms(t0));
                serdeRates(out, broker, HttpSchemaRegistryClient.of(registry.url()));
            }
        } finally {
            broker.close();
            FileTrees.deleteQuietly(dir);
        }
        return 0;
    }

    private void serdeRates(PrintWriter out, EmbeddedKafkaBroker broker, HttpSchemaRegistryClient registry) throws Exception {
        String topic = Topic.TRAINING_PROGRESS.topicName();
        TrainingProgress record = TrainingProgress.newBuilder().setRequestId("req-1").setJobId(UUID.randomUUID())
                .setAdapterId("adapter-1").setPhase(TrainingPhase.TRAINING).setEpoch(1).setStep(10).setTotalSteps(100)
                .setLoss(1.5).setLearningRate(2e-4).setTokensPerSecond(1234.5).setMessage(null)
                .setReportedAt(Instant.ofEpochMilli(1_700_000_000_000L)).build();
        AvroSerializer<TrainingProgress> serializer = new AvroSerializer<>(registry, true);
        AvroDeserializer<TrainingProgress> deserializer = AvroDeserializer.specific(registry, TrainingProgress.class);
        byte[] bytes = serializer.serialize(topic, record);
        deserializer.deserialize(topic, bytes);
        long t0 = System.nanoTime();
        for (int i = 0; i < records; i++) {
            deserializer.deserialize(topic, serializer.serialize(topic, record));
        }
        out.printf("serde serialize + deserialize:          %6.2f us/record (%d bytes)%n",
                (System.nanoTime() - t0) / 1e3 / records, bytes.length);

        t0 = System.nanoTime();
        try (KafkaProducer<String, TrainingProgress> producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "linger.ms", "5"), new StringSerializer(), serializer)) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + (i % 16), record));
            }
            producer.flush();
        }
        long produced = ms(t0);
        t0 = System.nanoTime();
        int read = 0;
        try (KafkaConsumer<String, TrainingProgress> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
                new StringDeserializer(), deserializer)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(Set.copyOf(partitions));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (read < records && System.nanoTime() < deadline) {
                read += consumer.poll(Duration.ofMillis(200)).count();
            }
        }
        long consumed = ms(t0);
        out.printf("produce %d (acks=all, idempotent):    %6d ms (%.0f records/s)%n", records, produced, records * 1000.0 / Math.max(1, produced));
        out.printf("consume %d back:                       %6d ms (%.0f records/s)%n", read, consumed, read * 1000.0 / Math.max(1, consumed));
    }

    private static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
