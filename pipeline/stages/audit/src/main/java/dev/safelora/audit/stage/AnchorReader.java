package dev.safelora.audit.stage;

import dev.safelora.audit.ledger.ChainVerifier;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.schema.AuditAnchor;
import dev.safelora.serde.AvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads the latest anchor of every chain of one ledger from the compacted anchors topic. */
public final class AnchorReader {

    private AnchorReader() {}

    public static List<ChainVerifier.Anchor> latest(ClientSettings client, String topic, String ledgerId, Duration timeout) {
        Map<String, Object> p = client.standaloneConsumerProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        Map<String, ChainVerifier.Anchor> latest = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
             AvroDeserializer<AuditAnchor> decoder = AvroDeserializer.specific(client.registryClient(), AuditAnchor.class)) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("anchors topic " + topic + " does not exist on " + client.bootstrapServers());
            }
            List<TopicPartition> partitions = new ArrayList<>();
            infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading anchors topic " + topic);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    AuditAnchor a = decoder.deserialize(topic, r.value());
                    if (a.getLedgerId().equals(ledgerId)) {
                        latest.put(a.getTopic() + "/" + a.getPartition(),
                                new ChainVerifier.Anchor(a.getTopic(), a.getPartition(), a.getChainSeq(), a.getHeadHash()));
                    }
                }
            }
        }
        return List.copyOf(latest.values());
    }
}
