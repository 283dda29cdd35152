package dev.safelora.stage.alignment;

import dev.safelora.alignment.CheckpointMismatchException;
import dev.safelora.schema.AlignmentErrorCode;
import dev.safelora.stage.jobs.MissingArtifactException;
import dev.safelora.tensor.CheckpointUnavailableException;
import dev.safelora.tensor.SafetensorsFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The {@link AlignmentErrorCode} of a failed alignment, from the type of the failure or of one of its causes. */
final class AlignmentErrors {

    private AlignmentErrors() {
    }

    static AlignmentErrorCode code(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof MissingArtifactException) {
                return AlignmentErrorCode.CHECKPOINT_NOT_FOUND;
            }
            if (t instanceof CheckpointUnavailableException e) {
                return switch (e.reason()) {
                    case NOT_FOUND -> AlignmentErrorCode.CHECKPOINT_NOT_FOUND;
                    case UNSUPPORTED_FORMAT -> AlignmentErrorCode.UNSUPPORTED_FORMAT;
                };
            }
            if (t instanceof SafetensorsFormatException) {
                return AlignmentErrorCode.UNSUPPORTED_FORMAT;
            }
            if (t instanceof CheckpointMismatchException e) {
                return switch (e.kind()) {
                    case SHAPE_MISMATCH -> AlignmentErrorCode.SHAPE_MISMATCH;
                    case MISSING_MODULE -> AlignmentErrorCode.MISSING_MODULE;
                    case UNSUPPORTED_WEIGHT -> AlignmentErrorCode.UNSUPPORTED_FORMAT;
                    case NON_FINITE_WEIGHTS -> AlignmentErrorCode.NON_FINITE_WEIGHTS;
                };
            }
            if (t instanceof IOException || t instanceof UncheckedIOException) {
                return AlignmentErrorCode.IO_ERROR;
            }
        }
        return AlignmentErrorCode.OTHER;
    }
}
