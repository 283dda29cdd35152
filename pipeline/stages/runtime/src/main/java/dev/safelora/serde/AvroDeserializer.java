package dev.safelora.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.registry.RegistryException;
import dev.safelora.registry.RegistryUnreachableException;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.SchemaClasses;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-wire-format Avro: fetches the WRITER's schema by the id in the payload (cached)
 * and resolves it into the reader's schema: a generated class ({@link #specific}), the class the
 * writer schema names, or a {@code GenericRecord} in the writer's own schema ({@link #generic}).
 *
 * <p>Bad bytes are a {@link SerializationException} saying what was wrong: an unknown magic byte
 * (which byte), an unknown schema id (which id, which registry), a truncated payload. A registry
 * that cannot be reached is a {@link RegistryUnreachableException} instead: it is not the
 * record's fault, so a stage should retry rather than dead-letter it. (Inside
 * {@code KafkaConsumer.poll} both arrive as the cause of a {@code RecordDeserializationException}.)
 */
public final class AvroDeserializer<T> implements Deserializer<T> {

    private SchemaRegistryClient registry;
    private Class<? extends SpecificRecord> readerClass;
    private boolean specific;
    private boolean ownsRegistry;
    private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();

    /** For Kafka's reflective construction; {@link #configure} must follow. */
    public AvroDeserializer() {
    }

    private AvroDeserializer(SchemaRegistryClient registry, Class<? extends SpecificRecord> readerClass, boolean specific) {
        this.registry = registry;
        this.readerClass = readerClass;
        this.specific = specific;
        SchemaClasses.trust();
    }

    /** Reads every value into {@code readerClass}, resolving from whichever schema wrote it. */
    public static <R extends SpecificRecord> AvroDeserializer<R> specific(SchemaRegistryClient registry, Class<R> readerClass) {
        return new AvroDeserializer<>(registry, readerClass, true);
    }

    /** Reads every value as a {@code GenericRecord} in its writer's schema: works for any topic. */
    public static AvroDeserializer<GenericRecord> generic(SchemaRegistryClient registry) {
        return new AvroDeserializer<>(registry, null, false);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (registry != null) {
            return;
        }
        AvroSerdeConfig config = AvroSerdeConfig.fromProperties(configs);
        this.registry = new HttpSchemaRegistryClient(config.registry());
        this.ownsRegistry = true;
        this.specific = config.specificReader();
        String typeName = isKey ? config.specificKeyType() : config.specificValueType();
        if (specific && typeName != null) {
            try {
                this.readerClass = Class.forName(typeName).asSubclass(SpecificRecord.class);
            } catch (ClassNotFoundException | ClassCastException e) {
                throw new IllegalArgumentException("'" + (isKey ? AvroSerdeConfig.SPECIFIC_KEY_TYPE : AvroSerdeConfig.SPECIFIC_VALUE_TYPE)
                        + "' names " + typeName + ", which is not a generated Avro class on the class path", e);
            }
        }
        SchemaClasses.trust();
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (registry == null) {
            throw new SerializationException("AvroDeserializer used before configure(): no schema registry");
        }
        if (data.length < WireFormat.HEADER_SIZE) {
            throw new SerializationException("truncated payload on topic " + topic + ": " + data.length
                    + " bytes, but the Confluent wire format needs at least 5 (magic byte 0 and a 4-byte schema id)");
        }
        if (data[0] != WireFormat.MAGIC_BYTE) {
            throw new SerializationException(String.format(
                    "unknown magic byte 0x%02x on topic %s: expected 0x00 (Confluent wire format: magic byte, 4-byte schema id, Avro binary)",
                    data[0] & 0xff, topic));
        }
        int id = ByteBuffer.wrap(data, 1, 4).getInt();
        DatumReader<Object> reader = reader(topic, id);
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
        try {
            return (T) reader.read(null, decoder);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new SerializationException("truncated or corrupt Avro payload on topic " + topic + " (schema id " + id + ", "
                    + data.length + " bytes): " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    private DatumReader<Object> reader(String topic, int id) {
        DatumReader<Object> cached = readers.get(id);
        if (cached != null) {
            return cached;
        }
        Schema writer;
        try {
            writer = registry.schemaById(id);
        } catch (RegistryUnreachableException e) {
            throw e;
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                throw new SerializationException("unknown schema id " + id + " on topic " + topic + ": the schema registry at "
                        + registry.url() + " has no schema with that id", e);
            }
            throw new SerializationException("cannot fetch schema id " + id + " for topic " + topic + ": " + e.getMessage(), e);
        }
        DatumReader<Object> reader = createReader(topic, id, writer);
        readers.put(id, reader);
        return reader;
    }

    @SuppressWarnings("unchecked")
    private DatumReader<Object> createReader(String topic, int id, Schema writer) {
        if (!specific) {
            return (DatumReader<Object>) GenericData.get().createDatumReader(writer, writer);
        }
        Class<?> target = readerClass;
        if (target == null) {
            target = SpecificData.get().getClass(writer);
            if (target == null) {
                throw new SerializationException("no generated class for " + writer.getFullName() + " (schema id " + id
                        + ") on topic " + topic + ": set " + AvroSerdeConfig.SPECIFIC_VALUE_TYPE + " or read generically");
            }
        }
        SpecificData model = SpecificData.getForClass(target);
        Schema readerSchema = model.getSchema(target);
        if (!readerSchema.getFullName().equals(writer.getFullName()) && !readerSchema.getAliases().contains(writer.getFullName())) {
            throw new SerializationException("schema id " + id + " on topic " + topic + " writes " + writer.getFullName()
                    + ", which cannot be read as " + readerSchema.getFullName());
        }
        return (DatumReader<Object>) model.createDatumReader(writer, readerSchema);
    }

    @Override
    public void close() {
        if (ownsRegistry) {
            registry.close();
        }
    }
}
