package dev.safelora.stage.alignment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.artifacts.ArtifactStores;
import dev.safelora.schema.AlignmentErrorCode;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.schema.ModelRegistration;
import dev.safelora.stage.InputRecord;
import dev.safelora.stage.JobContext;
import dev.safelora.stage.Output;
import dev.safelora.stage.jobs.StageArtifacts;
import dev.safelora.tensor.DType;
import dev.safelora.testsupport.TinyCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What one registration run returns or throws, depending on the failure and on whether it is the record's last attempt. */
class RegistrationAlignerTest {

    @TempDir
    Path dir;

    /** A job context that only answers {@link JobContext#finalAttempt()}. */
    private record Attempt(boolean last, Path scratch) implements JobContext<SpecificRecord> {
        @Override public boolean cancelled() { return false; }
        @Override public Optional<CancelReason> cancelReason() { return Optional.empty(); }
        @Override public void publish(Output<SpecificRecord> output) { }
        @Override public Path scratchDir() { return scratch; }
        @Override public boolean finalAttempt() { return last; }
    }

    private List<Output<SpecificRecord>> run(RegistrationAligner aligner, ModelRegistration reg, boolean last) throws Exception {
        return aligner.run(new InputRecord<>("registrations", 0, 0, 0, reg.getFamily(), reg, new RecordHeaders()),
                new Attempt(last, dir.resolve("scratch")));
    }

    private ModelRegistration registration(Path base, Path aligned) {
        return ModelRegistration.newBuilder().setRegistrationId(UUID.randomUUID()).setFamily("f")
                .setBaseUri(base.toUri().toString()).setAlignedUri(aligned.toUri().toString())
                .setTargetModules(List.of("q_proj")).setRegisteredBy("test").setRegisteredAt(Instant.EPOCH).build();
    }

    @Test
    void anIoErrorIsRunAgainUntilTheLastAttemptWhichPublishesAlignmentFailedWhileACheckpointProblemFailsAtOnce() throws Exception {
        Path base = dir.resolve("base");
        Path aligned = dir.resolve("aligned");
        TinyCheckpoints.writePair(base, aligned, 1, 3, DType.F32);
        Path notADirectory = Files.writeString(dir.resolve("scratch-is-a-file"), "x"); // the aligner cannot write its output
        StageArtifacts artifacts = new StageArtifacts(ArtifactStores.standard(Map.of(), dir.resolve("cache")),
                dir.resolve("artifacts").toUri(), List.of(dir.toUri()));
        RegistrationAligner aligner = new RegistrationAligner(artifacts, "alignments", notADirectory);
        ModelRegistration reg = registration(base, aligned);

        assertThatThrownBy(() -> run(aligner, reg, false)).isInstanceOfAny(IOException.class, java.io.UncheckedIOException.class);
        AlignmentFailed failed = (AlignmentFailed) ((AlignmentEvent) run(aligner, reg, true).get(0).value()).getOutcome();
        assertThat(failed.getErrorCode()).isEqualTo(AlignmentErrorCode.IO_ERROR);
        assertThat(failed.getReason()).contains(notADirectory.toString());

        ModelRegistration missing = registration(base, dir.resolve("no-such-checkpoint"));
        AlignmentFailed notFound = (AlignmentFailed) ((AlignmentEvent) run(aligner, missing, false).get(0).value()).getOutcome();
        assertThat(notFound.getErrorCode()).as("no retry can make a checkpoint appear").isEqualTo(AlignmentErrorCode.CHECKPOINT_NOT_FOUND);
    }
}
