package dev.safelora.stage.alignment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.safelora.alignment.CheckpointPair;
import dev.safelora.schema.AlignmentErrorCode;
import dev.safelora.tensor.DType;
import dev.safelora.tensor.SafetensorsWriter;
import dev.safelora.testsupport.TinyCheckpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each failure the alignment library raises for a bad pair maps to its error code, by type, also when wrapped. */
class AlignmentErrorsTest {

    @TempDir
    Path dir;

    private Throwable opening(Path base, Path aligned, String... targets) {
        Throwable t = catchThrowable(() -> CheckpointPair.open(base, aligned, Set.of(targets)).close());
        assertThat(t).as("opening %s and %s fails", base, aligned).isNotNull();
        return t;
    }

    @Test
    void everyKindOfBadPairHasItsCode() throws IOException {
        Path base = dir.resolve("base");
        Path aligned = dir.resolve("aligned");
        TinyCheckpoints.writePair(base, aligned, 2, 1, DType.F32);

        assertThat(AlignmentErrors.code(opening(dir.resolve("nowhere"), aligned, "q_proj"))).isEqualTo(AlignmentErrorCode.CHECKPOINT_NOT_FOUND);

        Path pickle = Files.createDirectories(dir.resolve("pickle"));
        Files.write(pickle.resolve("pytorch_model.bin"), new byte[] {1});
        assertThat(AlignmentErrors.code(opening(base, pickle, "q_proj"))).isEqualTo(AlignmentErrorCode.UNSUPPORTED_FORMAT);

        Path broken = Files.createDirectories(dir.resolve("broken"));
        Files.write(broken.resolve("model.safetensors"), new byte[] {1, 2, 3});
        assertThat(AlignmentErrors.code(opening(base, broken, "q_proj"))).isEqualTo(AlignmentErrorCode.UNSUPPORTED_FORMAT);

        assertThat(AlignmentErrors.code(opening(base, aligned, "no_such_proj"))).isEqualTo(AlignmentErrorCode.MISSING_MODULE);

        Path other = Files.createDirectories(dir.resolve("other"));
        new SafetensorsWriter().addFloats(TinyCheckpoints.module(0, "self_attn.q_proj") + ".weight", new long[] {2, 2}, new float[4])
                .write(other.resolve("model.safetensors"));
        Throwable mixed = opening(base, other, "q_proj");
        assertThat(mixed).hasMessageContaining("has shape").hasMessageContaining("missing from");
        assertThat(AlignmentErrors.code(mixed)).as("a shape mismatch leads").isEqualTo(AlignmentErrorCode.SHAPE_MISMATCH);

        assertThat(AlignmentErrors.code(new IllegalStateException("wrapped", opening(base, aligned, "no_such_proj"))))
                .isEqualTo(AlignmentErrorCode.MISSING_MODULE);
        assertThat(AlignmentErrors.code(new UncheckedIOException(new IOException("disk full")))).isEqualTo(AlignmentErrorCode.IO_ERROR);
        assertThat(AlignmentErrors.code(new IllegalArgumentException("something else"))).isEqualTo(AlignmentErrorCode.OTHER);
    }
}
