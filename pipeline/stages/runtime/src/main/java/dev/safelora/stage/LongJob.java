package dev.safelora.stage;

import java.util.List;

/**
 * Long work on one record (minutes to hours), run on a worker thread by {@link LongJobLoop} while the loop
 * keeps polling. The returned outputs are published by the loop, and only after they are acknowledged is
 * the record's offset committed. The job must call {@link JobContext#checkCancelled()} (or look at
 * {@link JobContext#cancelled()}) often: on a rebalance or at shutdown it is cancelled cooperatively and
 * its record is redone by whoever owns the partition next, so outputs must be idempotent (deterministic
 * artifact paths per request, or a check of the store before work).
 *
 * <p>Exceptions are classified as for {@link RecordHandler}.
 */
@FunctionalInterface
public interface LongJob<V, O> {
    List<Output<O>> run(InputRecord<V> record, JobContext<O> context) throws Exception;
}
