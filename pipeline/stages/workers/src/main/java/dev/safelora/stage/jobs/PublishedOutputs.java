package dev.safelora.stage.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.schema.SchemaClasses;
import dev.safelora.stage.BadInputException;
import dev.safelora.stage.DeadLetters;
import dev.safelora.stage.InputRecord;
import dev.safelora.stage.Output;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The record, kept in the artifact store next to a job's artifacts ({@value #FILE}), of the events a job
 * handed to the loop for publishing and of the input record (topic, partition, offset) that produced them.
 * Written after the artifacts and before the events are returned, it lets a redelivered job decide
 * without redoing any work:
 *
 * <ul>
 *   <li>no record: first run - do the work;</li>
 *   <li>written by this very record (same topic, partition, offset): the previous attempt did not get its
 *       offset committed, so its outputs were not (visibly) published - publish the stored events again,
 *       byte for byte;</li>
 *   <li>written by another record: the loop handles a partition in order and only moves past a record once
 *       its outputs are acknowledged (and, in exactly-once mode, committed in the same transaction as its
 *       offset), so that record's events are out - publish nothing;</li>
 *   <li>except when this record is a dead letter of that record copied back to the input topic (its
 *       {@code safelora.dlq.source.*} headers name it): the loop gave up on that record instead of publishing
 *       (say the output topic refused the events), so they are not out - publish the stored events
 *       ({@link #republish}).</li>
 * </ul>
 *
 * With the loop in exactly-once mode ({@code stage.exactly.once}, the trainer's and projector's default) a
 * crash at any point therefore leaves read_committed consumers with exactly one adapter per job. In
 * at-least-once mode a crash after the broker acknowledged the events but before the offset commit
 * republishes the identical events once.
 */
public final class PublishedOutputs {

    public static final String FILE = "published.json";
    private static final Logger LOG = LoggerFactory.getLogger(PublishedOutputs.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the loop should do with a job whose store may already hold its outputs. */
    public enum Verdict { FIRST_RUN, REPUBLISH, ALREADY_PUBLISHED }

    public record Source(String topic, int partition, long offset) {
        static Source of(InputRecord<?> record) {
            return new Source(record.topic(), record.partition(), record.offset());
        }
    }

    /** One stored event: topic, key, Avro class and the record's Avro binary encoding (base64). */
    public record StoredOutput(String topic, String key, String type, String avro) {
    }

    /** @param adapterId the adapter the outputs publish (one output prefix holds one adapter) */
    public record Stored(Source source, String adapterId, List<StoredOutput> outputs) {
    }

    private PublishedOutputs() {
    }

    public static URI location(StageArtifacts artifacts, URI outputPrefix) {
        return artifacts.child(outputPrefix, FILE);
    }

    public static Optional<Stored> read(StageArtifacts artifacts, URI location) throws IOException {
        if (!artifacts.exists(location)) {
            return Optional.empty();
        }
        Path local = artifacts.local(location, "published-outputs record");
        return Optional.of(JSON.readValue(local.toFile(), Stored.class));
    }

    /**
     * What a job publishes without doing its work, decided by the record stored at {@code location}: empty on a
     * first run (do the work), the stored events again ({@link Verdict#REPUBLISH}), or no events at all
     * ({@link Verdict#ALREADY_PUBLISHED}).
     *
     * @throws BadInputException when the outputs stored there belong to another adapter (see {@link #verdict})
     */
    public static Optional<List<Output<SpecificRecord>>> earlierOutputs(StageArtifacts artifacts, URI location, InputRecord<?> record,
                                                                        String adapterId, Path scratch) throws IOException {
        Optional<Stored> stored = read(artifacts, location);
        return switch (verdict(stored, record, adapterId)) {
            case FIRST_RUN -> Optional.empty();
            case ALREADY_PUBLISHED -> {
                LOG.info("adapter {}: already published by {}; nothing to publish", adapterId, stored.get().source());
                yield Optional.of(List.of());
            }
            case REPUBLISH -> {
                LOG.info("adapter {}: outputs stored by {} but not committed; publishing them again", adapterId, stored.get().source());
                yield Optional.of(republish(artifacts, location, stored.get(), record, scratch));
            }
        };
    }

    /**
     * @throws BadInputException when the outputs stored there belong to another adapter: a job must not
     *     overwrite, or be mistaken for, another adapter's outputs
     */
    public static Verdict verdict(Optional<Stored> stored, InputRecord<?> record, String adapterId) {
        if (stored.isEmpty()) {
            return Verdict.FIRST_RUN;
        }
        if (stored.get().adapterId() != null && !stored.get().adapterId().equals(adapterId)) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, "the output location already holds the outputs of adapter "
                    + stored.get().adapterId() + "; adapter " + adapterId + " needs an outputUri of its own");
        }
        Source source = stored.get().source();
        return source.equals(Source.of(record)) || source.equals(deadLetterSource(record).orElse(null))
                ? Verdict.REPUBLISH : Verdict.ALREADY_PUBLISHED;
    }

    /**
     * The events to publish again. When {@code record} is a replayed dead letter of the record that stored them,
     * it takes them over (the stored source becomes {@code record}), so that a dead letter of this replay can be
     * replayed in turn.
     */
    public static List<Output<SpecificRecord>> republish(StageArtifacts artifacts, URI location, Stored stored,
                                                         InputRecord<?> record, Path scratch) throws IOException {
        List<Output<SpecificRecord>> outputs = outputs(stored);
        if (!stored.source().equals(Source.of(record))) {
            write(artifacts, location, record, stored.adapterId(), outputs, scratch);
        }
        return outputs;
    }

    /**
     * Where a record was dead-lettered from, when it is a dead letter copied back to an input topic: the loop
     * moved past that record without publishing its outputs (it gave up on it), so they are not out.
     */
    private static Optional<Source> deadLetterSource(InputRecord<?> record) {
        if (record.headers() == null) {
            return Optional.empty();
        }
        String topic = DeadLetters.header(record.headers(), DeadLetters.SOURCE_TOPIC);
        String partition = DeadLetters.header(record.headers(), DeadLetters.SOURCE_PARTITION);
        String offset = DeadLetters.header(record.headers(), DeadLetters.SOURCE_OFFSET);
        if (topic == null || partition == null || offset == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Source(topic, Integer.parseInt(partition), Long.parseLong(offset)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Stores the outputs as published by {@code record}; {@code scratch} is a local directory for the file. */
    public static void write(StageArtifacts artifacts, URI location, InputRecord<?> record, String adapterId,
                             List<Output<SpecificRecord>> outputs, Path scratch) throws IOException {
        List<StoredOutput> stored = new ArrayList<>();
        for (Output<SpecificRecord> o : outputs) {
            stored.add(new StoredOutput(o.topic(), o.key(), o.value().getClass().getName(),
                    Base64.getEncoder().encodeToString(encode(o.value()))));
        }
        Files.createDirectories(scratch);
        Path file = scratch.resolve(FILE);
        JSON.writeValue(file.toFile(), new Stored(Source.of(record), adapterId, stored));
        artifacts.put(file, location);
        Files.deleteIfExists(file);
    }

    /** The stored events, decoded, in their original order. */
    public static List<Output<SpecificRecord>> outputs(Stored stored) throws IOException {
        SchemaClasses.trust();
        List<Output<SpecificRecord>> out = new ArrayList<>();
        for (StoredOutput o : stored.outputs()) {
            Class<?> type;
            try {
                type = Class.forName(o.type());
            } catch (ClassNotFoundException e) {
                throw new IOException("published-outputs record names an unknown event type " + o.type(), e);
            }
            if (!SpecificRecord.class.isAssignableFrom(type) || !type.getPackageName().equals(SchemaClasses.PACKAGE)) {
                throw new IOException("published-outputs record names " + o.type() + ", not an event of " + SchemaClasses.PACKAGE);
            }
            @SuppressWarnings("unchecked")
            Class<SpecificRecord> recordType = (Class<SpecificRecord>) type;
            SpecificDatumReader<SpecificRecord> reader = new SpecificDatumReader<>(recordType);
            byte[] bytes = Base64.getDecoder().decode(o.avro());
            out.add(Output.of(o.topic(), o.key(), reader.read(null, DecoderFactory.get().binaryDecoder(bytes, null))));
        }
        return out;
    }

    private static byte[] encode(SpecificRecord record) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new SpecificDatumWriter<SpecificRecord>(record.getSchema(), SpecificData.getForSchema(record.getSchema())).write(record, encoder);
        encoder.flush();
        return bytes.toByteArray();
    }
}
