package dev.safelora.planner;

import org.apache.avro.specific.SpecificRecord;

import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.TrainingJob;

/** What a planner processor forwards; the topology routes each kind to its topic. */
sealed interface Emit {

    /** To {@code safelora.training-jobs.v1}, keyed by request id. */
    record Training(TrainingJob job) implements Emit {
    }

    /** To {@code safelora.projection-jobs.v1}, keyed by source adapter id. */
    record Projection(ProjectionJob job) implements Emit {
    }

    /** The original value bytes to {@code <source topic>.dlq}; the source topic and reason are in the headers. */
    record DeadLetter(byte[] value) implements Emit {
    }

    /** A decoded, checked input re-keyed (by family) for the next processor. */
    record Rekeyed(SpecificRecord value) implements Emit {
    }
}
