package dev.safelora.stage;

import java.util.List;

/**
 * Short work on one record (milliseconds to seconds), run on the loop thread by {@link RecordLoop}.
 * Throw {@link BadInputException} for a record that can never succeed (it goes to the dead-letter topic),
 * {@link TransientException} (or let an I/O or Kafka retriable exception through) for a failure worth
 * retrying. Outputs must be idempotent: after a crash the record may be handled again.
 */
@FunctionalInterface
public interface RecordHandler<V, O> {
    List<Output<O>> handle(InputRecord<V> record) throws Exception;
}
