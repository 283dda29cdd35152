package dev.safelora.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.testkit.AvroFixtures;
import dev.safelora.testkit.SharedCluster;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.avro.specific.SpecificRecord;

/** Serializer then deserializer is the identity, for arbitrary records of every topic's value type. */
class AvroSerdeRoundTripPropertyTest {

    private static final HttpSchemaRegistryClient REGISTRY = SharedCluster.get().registryClient();

    @Property(tries = 60)
    @SuppressWarnings({"unchecked", "rawtypes"})
    void serializeThenDeserializeGivesTheRecordBack(@ForAll Topic topic, @ForAll long seed) {
        SpecificRecord record = AvroFixtures.sample(topic.valueClass(), seed);
        byte[] bytes = new AvroSerializer<SpecificRecord>(REGISTRY, true).serialize(topic.topicName(), record);
        Object back = AvroDeserializer.specific(REGISTRY, (Class) topic.valueClass()).deserialize(topic.topicName(), bytes);
        assertThat(back).isEqualTo(record);
        assertThat(dev.safelora.contracts.AvroJson.toTree(AvroDeserializer.generic(REGISTRY).deserialize(topic.topicName(), bytes)))
                .as("generic and specific render alike").isEqualTo(dev.safelora.contracts.AvroJson.toTree((org.apache.avro.generic.IndexedRecord) record));
    }
}
