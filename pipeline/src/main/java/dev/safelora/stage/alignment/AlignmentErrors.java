package dev.safelora.stage.alignment;

import dev.safelora.schema.AlignmentErrorCode;
import dev.safelora.stage.jobs.MissingArtifactException;
import dev.safelora.tensor.SafetensorsFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * The {@link AlignmentErrorCode} of a failed alignment. The alignment library reports every problem of the
 * checkpoints as an {@link IllegalArgumentException} with a message naming file and tensor; the category is
 * read from that message (the alignment stage tests pin each wording this relies on).
 */
final class AlignmentErrors {

    private AlignmentErrors() {
    }

    static AlignmentErrorCode code(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof MissingArtifactException) {
                return AlignmentErrorCode.CHECKPOINT_NOT_FOUND;
            }
            if (t instanceof SafetensorsFormatException) {
                return AlignmentErrorCode.UNSUPPORTED_FORMAT;
            }
        }
        String m = String.valueOf(failure.getMessage()).toLowerCase(Locale.ROOT);
        if (m.contains("no such checkpoint directory")) {
            return AlignmentErrorCode.CHECKPOINT_NOT_FOUND;
        }
        if (m.contains("pickle") || m.contains("neither model.safetensors") || m.contains("no model.safetensors")) {
            return AlignmentErrorCode.UNSUPPORTED_FORMAT;
        }
        if (m.contains(" holds nan") || m.contains(" holds infinity") || m.contains(" holds -infinity") || m.contains("overflows")) {
            return AlignmentErrorCode.NON_FINITE_WEIGHTS;
        }
        if (m.contains("has shape")) {
            return AlignmentErrorCode.SHAPE_MISMATCH;
        }
        if (m.contains("missing from") || m.contains("no weights of the target modules")) {
            return AlignmentErrorCode.MISSING_MODULE;
        }
        if (failure instanceof IOException || failure instanceof UncheckedIOException) {
            return AlignmentErrorCode.IO_ERROR;
        }
        return AlignmentErrorCode.OTHER;
    }
}
