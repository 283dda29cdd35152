package dev.safelora.serde;

import dev.safelora.registry.SchemaRegistryClient;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Ready-made Kafka {@link Serde}s in the Confluent wire format (values under {@code <topic>-value}). */
public final class AvroSerdes {

    private AvroSerdes() {
    }

    /** Writes {@code type} (registering its schema if {@code autoRegister}) and reads any compatible writer into it. */
    public static <T extends SpecificRecord> Serde<T> specific(Class<T> type, SchemaRegistryClient registry, boolean autoRegister) {
        @SuppressWarnings({"unchecked", "rawtypes"})
        Serde<T> serde = (Serde<T>) Serdes.serdeFrom(new AvroSerializer(registry, autoRegister), AvroDeserializer.specific(registry, type));
        return serde;
    }

    /** Auto-registering serde for {@code type}'s values. */
    public static <T extends SpecificRecord> Serde<T> specific(Class<T> type, SchemaRegistryClient registry) {
        return specific(type, registry, true);
    }

    /** Generic records in their writer's schema: any topic. */
    public static Serde<GenericRecord> generic(SchemaRegistryClient registry, boolean autoRegister) {
        return Serdes.serdeFrom(new AvroSerializer<>(registry, autoRegister), AvroDeserializer.generic(registry));
    }
}
