package dev.safelora.stage.jobs;

import dev.safelora.stage.BadInputException;

/** An input artifact (checkpoint, adapter, alignment, dataset) named by a record does not exist. */
public final class MissingArtifactException extends BadInputException {

    public MissingArtifactException(String message, Throwable cause) {
        super(Cause.ARTIFACT, message, cause);
    }
}
