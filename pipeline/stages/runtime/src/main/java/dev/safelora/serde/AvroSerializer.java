package dev.safelora.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.registry.RegistryException;
import dev.safelora.registry.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records (generated classes or {@code GenericRecord}s) in the Confluent wire
 * format, registering the record's schema under {@code <topic>-value} ({@code -key} for keys),
 * or, with auto-registration off, looking up the id it already has there.
 *
 * <p>Either construct it with a client, or let Kafka create it by class name and
 * {@link #configure} it from {@link AvroSerdeConfig} properties.
 */
public final class AvroSerializer<T extends GenericContainer> implements Serializer<T> {

    private SchemaRegistryClient registry;
    private boolean autoRegister;
    private boolean isKey;
    private boolean ownsRegistry;
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) {
    }

    /** For Kafka's reflective construction; {@link #configure} must follow. */
    public AvroSerializer() {
    }

    public AvroSerializer(SchemaRegistryClient registry, boolean autoRegister) {
        this.registry = registry;
        this.autoRegister = autoRegister;
    }

    public AvroSerializer(SchemaRegistryClient registry, boolean autoRegister, boolean isKey) {
        this(registry, autoRegister);
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean key) {
        this.isKey = key;
        if (registry == null) {
            AvroSerdeConfig config = AvroSerdeConfig.fromProperties(configs);
            this.registry = new HttpSchemaRegistryClient(config.registry());
            this.autoRegister = config.autoRegister();
            this.ownsRegistry = true;
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (registry == null) {
            throw new SerializationException("AvroSerializer used before configure(): no schema registry");
        }
        Schema schema = data.getSchema();
        int id = schemaId(topic, schema);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(WireFormat.MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer(data).write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + schema.getFullName() + " for topic " + topic + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private int schemaId(String topic, Schema schema) {
        String subject = WireFormat.subject(topic, isKey);
        return ids.computeIfAbsent(new SubjectSchema(subject, schema), key -> {
            try {
                return autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema).id();
            } catch (RegistryException e) {
                if (!autoRegister && e.isNotFound()) {
                    throw new SerializationException("schema " + schema.getFullName() + " is not registered under subject '"
                            + subject + "' at " + registry.url() + " and auto.register.schemas is false: " + e.getMessage(), e);
                }
                throw new SerializationException("cannot " + (autoRegister ? "register" : "look up") + " schema "
                        + schema.getFullName() + " under subject '" + subject + "': " + e.getMessage(), e);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private DatumWriter<Object> writer(T data) {
        return writers.computeIfAbsent(data.getSchema(), schema -> {
            GenericData model = data instanceof SpecificRecordBase specific ? specific.getSpecificData() : GenericData.get();
            return (DatumWriter<Object>) model.createDatumWriter(schema);
        });
    }

    @Override
    public void close() {
        if (ownsRegistry) {
            registry.close();
        }
    }

}
