package dev.safelora.artifacts.s3;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts the calls the store makes and the HTTP attempts the SDK sends for them, so that the SDK's retries are
 * visible (in {@link S3ArtifactStore#traffic()}, and as a warning per retry in the log). An interceptor rather
 * than a metric publisher because it runs on the request path: the counts are complete when a call returns.
 */
public final class S3Traffic implements ExecutionInterceptor {

    /** What the store has sent so far: API calls, HTTP attempts, and the difference, the SDK's retries. */
    public record Counts(long calls, long attempts) {
        public long retries() {
            return attempts - calls;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(S3ArtifactStore.class);
    private static final ExecutionAttribute<Integer> ATTEMPT = new ExecutionAttribute<>("safelora.s3.attempt");

    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong attempts = new AtomicLong();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        calls.incrementAndGet();
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        attempts.incrementAndGet();
        int attempt = attributes.getOptionalAttribute(ATTEMPT).orElse(0) + 1;
        attributes.putAttribute(ATTEMPT, attempt);
        if (attempt > 1) {
            LOG.warn("S3 {} {}: retry, attempt {}", attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME),
                    context.httpRequest().encodedPath(), attempt);
        }
    }

    Counts counts() {
        return new Counts(calls.get(), attempts.get());
    }
}
