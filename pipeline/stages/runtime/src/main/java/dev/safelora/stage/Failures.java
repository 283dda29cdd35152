package dev.safelora.stage;

import dev.safelora.artifacts.RemoteStoreException;
import dev.safelora.registry.RegistryException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TransactionAbortableException;

/**
 * Decides what a failure means for the record. The cause chain is walked from the outside in, and the
 * first link that says something wins:
 * <ul>
 *   <li>{@link ProcessFaultException} - a fault of this process (a CUDA error): stop the loop without committing
 *       or dead-lettering, so that a fresh process redoes the record;</li>
 *   <li>{@link BadInputException} - bad input: dead-letter it now;</li>
 *   <li>{@link TransientException}, Kafka's {@link RetriableException} and {@link TransactionAbortableException},
 *       an unreachable registry (or a 5xx, 429, 401 or 403 from it), a retryable S3 error, connection refused,
 *       timeouts - transient: retry with backoff, as long as it takes, never dead-letter;</li>
 *   <li>nothing said, while decoding - bad input (undecodable bytes, unknown schema);</li>
 *   <li>nothing said, in the handler or job - unexpected: retried until it has failed so {@code max.attempts}
 *       times (it may be a transient failure nobody labelled; transient failures meanwhile do not count), then
 *       dead-lettered as PROCESSING.</li>
 * </ul>
 */
public final class Failures {

    public enum Verdict { BAD_INPUT, TRANSIENT, UNEXPECTED, PROCESS_FAULT }

    private final Predicate<Throwable> extraTransient;

    /** @param extraTransient more exceptions the stage knows to be transient (checked on every link) */
    public Failures(Predicate<Throwable> extraTransient) {
        this.extraTransient = extraTransient;
    }

    public static Failures standard() {
        return new Failures(t -> false);
    }

    /**
     * Whether a job's failure ends its record (a dead letter follows, no rerun): bad input, or an unexpected
     * failure on the record's last attempt. Transient failures and earlier unexpected ones are run again.
     */
    public boolean endsTheRecord(Throwable failure, JobContext<?> context) {
        Verdict verdict = classify(failure, false);
        return verdict == Verdict.BAD_INPUT || (verdict == Verdict.UNEXPECTED && context.finalAttempt());
    }

    public Verdict classify(Throwable failure, boolean duringDecode) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ProcessFaultException) {
                return Verdict.PROCESS_FAULT;
            }
            if (t instanceof BadInputException) {
                return Verdict.BAD_INPUT;
            }
            if (isTransient(t)) {
                return Verdict.TRANSIENT;
            }
        }
        return duringDecode ? Verdict.BAD_INPUT : Verdict.UNEXPECTED;
    }

    private boolean isTransient(Throwable t) {
        return t instanceof TransientException
                || t instanceof RetriableException
                // Kafka's verdict on a transaction: abort it and try again (KIP-1050), nothing about the record.
                || t instanceof TransactionAbortableException
                || (t instanceof RegistryException r && registryTransient(r.httpStatus()))
                || (t instanceof RemoteStoreException s && s.retryable())
                || t instanceof ConnectException
                || t instanceof SocketTimeoutException
                || t instanceof HttpTimeoutException
                || t instanceof UnknownHostException
                || t instanceof TimeoutException
                || extraTransient.test(t);
    }

    /**
     * No answer, a server error or throttling may pass. 401/403 are configuration errors, not weather: retrying them
     * spins forever. A stage checks its credentials when it starts ({@link RegistryAccess}) and fails there; one
     * revoked while it runs dead-letters the records it cannot decode, each with the registry's answer as the reason.
     */
    private static boolean registryTransient(int status) {
        return status == 0 || status >= 500 || status == 429;
    }

    /** The dead-letter category of a failure (a missing file or artifact counts as ARTIFACT). */
    public static BadInputException.Cause category(Throwable failure, boolean duringDecode) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof BadInputException b) {
                return b.category();
            }
            if (t instanceof RegistryException r && r.isNotFound()) {
                return BadInputException.Cause.UNKNOWN_SCHEMA;
            }
            if (t instanceof java.nio.file.NoSuchFileException) {
                return BadInputException.Cause.ARTIFACT;
            }
        }
        return duringDecode ? BadInputException.Cause.DESERIALIZATION : BadInputException.Cause.PROCESSING;
    }

    /** The message and, when it adds something, the root cause's, in one line. */
    public static String describe(Throwable failure) {
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != failure && root.getMessage() != null && !message.contains(root.getMessage())) {
            message += " (caused by " + root.getClass().getName() + ": " + root.getMessage() + ")";
        }
        // a parse error's own text quotes the file it came from, and this line goes into DLQ headers and failure events
        message = dev.safelora.files.StrictJson.withoutContent(message, failure);
        message = message.replace('\n', ' ');
        return message.length() > 4000 ? message.substring(0, 4000) + "..." : message;
    }
}
