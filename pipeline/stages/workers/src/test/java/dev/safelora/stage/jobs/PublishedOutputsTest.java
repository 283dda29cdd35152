package dev.safelora.stage.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.artifacts.ArtifactStores;
import dev.safelora.artifacts.FileArtifactStore;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.stage.BadInputException;
import dev.safelora.stage.DeadLetters;
import dev.safelora.stage.InputRecord;
import dev.safelora.stage.Output;
import dev.safelora.testkit.AvroFixtures;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The published-outputs record: what a redelivered job decides, and the stored events coming back unchanged. */
class PublishedOutputsTest {

    @TempDir
    Path dir;

    private static InputRecord<String> at(String topic, int partition, long offset) {
        return new InputRecord<>(topic, partition, offset, 0L, "key", "value", null);
    }

    @Test
    void storedEventsComeBackEqualAndTheVerdictDependsOnWhichRecordStoredThem() throws Exception {
        StageArtifacts artifacts = new StageArtifacts(new ArtifactStores().register("file", FileArtifactStore::new), dir.toUri());
        URI location = PublishedOutputs.location(artifacts, artifacts.child(dir.toUri(), "adapters/a1"));
        assertThat(PublishedOutputs.read(artifacts, location)).isEmpty();
        assertThat(PublishedOutputs.verdict(Optional.empty(), at("jobs", 0, 5), "a1")).isEqualTo(PublishedOutputs.Verdict.FIRST_RUN);

        AdapterPublished adapter = AvroFixtures.sample(AdapterPublished.class, 1);
        EvaluationCompleted evaluation = AvroFixtures.sample(EvaluationCompleted.class, 2);
        List<Output<SpecificRecord>> outputs = List.of(Output.of("adapters", "a1", adapter), Output.of("evaluations", "a1", evaluation));
        PublishedOutputs.write(artifacts, location, at("jobs", 0, 5), "a1", outputs, dir.resolve("scratch"));

        Optional<PublishedOutputs.Stored> stored = PublishedOutputs.read(artifacts, location);
        assertThat(stored).isPresent();
        assertThat(PublishedOutputs.outputs(stored.get())).isEqualTo(outputs);
        assertThat(PublishedOutputs.verdict(stored, at("jobs", 0, 5), "a1"))
                .as("the same record again: its earlier attempt never committed").isEqualTo(PublishedOutputs.Verdict.REPUBLISH);
        assertThat(PublishedOutputs.verdict(stored, at("jobs", 0, 9), "a1"))
                .as("a later duplicate of the job").isEqualTo(PublishedOutputs.Verdict.ALREADY_PUBLISHED);
        assertThat(PublishedOutputs.verdict(stored, at("jobs", 1, 5), "a1")).isEqualTo(PublishedOutputs.Verdict.ALREADY_PUBLISHED);
        assertThatThrownBy(() -> PublishedOutputs.verdict(stored, at("jobs", 0, 9), "a2"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("adapter a1").hasMessageContaining("a2 needs an outputUri");
    }

    @Test
    void earlierOutputsAreNoneOnAFirstRunTheStoredEventsForTheSameRecordAndNothingForAnother() throws Exception {
        StageArtifacts artifacts = new StageArtifacts(new ArtifactStores().register("file", FileArtifactStore::new), dir.toUri());
        URI location = PublishedOutputs.location(artifacts, artifacts.child(dir.toUri(), "adapters/a1"));
        Path scratch = dir.resolve("scratch");
        assertThat(PublishedOutputs.earlierOutputs(artifacts, location, at("jobs", 0, 5), "a1", scratch)).as("first run").isEmpty();

        List<Output<SpecificRecord>> outputs = List.of(Output.of("adapters", "a1", AvroFixtures.sample(AdapterPublished.class, 3)));
        PublishedOutputs.write(artifacts, location, at("jobs", 0, 5), "a1", outputs, scratch);

        assertThat(PublishedOutputs.earlierOutputs(artifacts, location, at("jobs", 0, 5), "a1", scratch))
                .as("the same record again").contains(outputs);
        assertThat(PublishedOutputs.earlierOutputs(artifacts, location, at("jobs", 0, 9), "a1", scratch))
                .as("a later duplicate").contains(List.of());
        assertThatThrownBy(() -> PublishedOutputs.earlierOutputs(artifacts, location, at("jobs", 0, 9), "a2", scratch))
                .isInstanceOf(BadInputException.class).hasMessageContaining("a2 needs an outputUri");
    }

    /** A dead letter copied back to the input topic, headers and all, as an operator replays it. */
    private static InputRecord<String> replayOf(String topic, int partition, long offset, long replayedAt) {
        ConsumerRecord<byte[], byte[]> original = new ConsumerRecord<>(topic, partition, offset, new byte[0], new byte[0]);
        Headers headers = DeadLetters.of(original, new IllegalStateException("publishing failed"), BadInputException.Cause.PROCESSING,
                "trainer", 3, Instant.EPOCH).headers();
        return new InputRecord<>(topic, 0, replayedAt, 0L, "key", "value", headers);
    }

    @Test
    void aReplayedDeadLetterOfTheRecordThatStoredTheOutputsPublishesThemAndTakesTheRecordOver() throws Exception {
        StageArtifacts artifacts = new StageArtifacts(new ArtifactStores().register("file", FileArtifactStore::new), dir.toUri());
        URI location = PublishedOutputs.location(artifacts, artifacts.child(dir.toUri(), "adapters/a1"));
        List<Output<SpecificRecord>> outputs = List.of(Output.of("adapters", "a1", AvroFixtures.sample(AdapterPublished.class, 1)));
        // The record at offset 5 stored its outputs, could not publish them and was dead-lettered: they never went out.
        PublishedOutputs.write(artifacts, location, at("jobs", 0, 5), "a1", outputs, dir.resolve("scratch"));
        Optional<PublishedOutputs.Stored> stored = PublishedOutputs.read(artifacts, location);

        InputRecord<String> replay = replayOf("jobs", 0, 5, 12);
        assertThat(PublishedOutputs.verdict(stored, replay, "a1")).isEqualTo(PublishedOutputs.Verdict.REPUBLISH);
        assertThat(PublishedOutputs.verdict(stored, replayOf("jobs", 0, 4, 12), "a1"))
                .as("the dead letter of another record").isEqualTo(PublishedOutputs.Verdict.ALREADY_PUBLISHED);

        assertThat(PublishedOutputs.republish(artifacts, location, stored.get(), replay, dir.resolve("scratch"))).isEqualTo(outputs);
        Optional<PublishedOutputs.Stored> taken = PublishedOutputs.read(artifacts, location);
        assertThat(taken.get().source()).as("a replay of the replay finds its own dead letter")
                .isEqualTo(new PublishedOutputs.Source("jobs", 0, 12));
        assertThat(PublishedOutputs.outputs(taken.get())).isEqualTo(outputs);
        assertThat(PublishedOutputs.verdict(taken, at("jobs", 0, 13), "a1")).isEqualTo(PublishedOutputs.Verdict.ALREADY_PUBLISHED);
    }
}
