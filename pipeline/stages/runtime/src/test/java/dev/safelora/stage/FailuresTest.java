package dev.safelora.stage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.artifacts.RemoteStoreException;
import dev.safelora.registry.RegistryException;
import dev.safelora.registry.RegistryUnreachableException;
import java.io.EOFException;
import java.net.ConnectException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.junit.jupiter.api.Test;

class FailuresTest {

    private final Failures failures = Failures.standard();

    @Test
    void decodingFailuresAreBadInputUnlessTheRegistryIsAway() {
        Throwable unreachable = new RegistryUnreachableException("http://r:8081", 3, "connection refused", new ConnectException());
        assertThat(failures.classify(unreachable, true)).isEqualTo(Failures.Verdict.TRANSIENT);
        assertThat(failures.classify(new SerializationException("cannot fetch schema id 4",
                new RegistryException(503, 50001, "store error")), true)).isEqualTo(Failures.Verdict.TRANSIENT);
        assertThat(failures.classify(new SerializationException("cannot fetch schema id 4",
                new RegistryException(401, 40101, "unauthorized")), true)).as("a configuration error: dead-letter, never spin")
                .isEqualTo(Failures.Verdict.BAD_INPUT);
        assertThat(failures.classify(new RegistryException(403, 40301, "forbidden"), false)).isEqualTo(Failures.Verdict.UNEXPECTED);

        Throwable unknownId = new SerializationException("unknown schema id 99", new RegistryException(404, 40403, "Schema not found"));
        assertThat(failures.classify(unknownId, true)).isEqualTo(Failures.Verdict.BAD_INPUT);
        assertThat(Failures.category(unknownId, true)).isEqualTo(BadInputException.Cause.UNKNOWN_SCHEMA);

        // A truncated Avro payload surfaces as an EOFException: an I/O exception, but not a transient one.
        Throwable truncated = new SerializationException("truncated or corrupt Avro payload", new EOFException());
        assertThat(failures.classify(truncated, true)).isEqualTo(Failures.Verdict.BAD_INPUT);
        assertThat(Failures.category(truncated, true)).isEqualTo(BadInputException.Cause.DESERIALIZATION);
    }

    @Test
    void handlerFailures() {
        assertThat(failures.classify(new BadInputException(BadInputException.Cause.ARTIFACT, "no checkpoint", new ConnectException()), false))
                .as("the outermost verdict wins").isEqualTo(Failures.Verdict.BAD_INPUT);
        assertThat(failures.classify(new RuntimeException("store", new ConnectException("refused")), false)).isEqualTo(Failures.Verdict.TRANSIENT);
        assertThat(failures.classify(new TimeoutException("broker"), false)).isEqualTo(Failures.Verdict.TRANSIENT);
        assertThat(failures.classify(new RemoteStoreException("GET failed", 503, "SlowDown", 3, true, null), false)).isEqualTo(Failures.Verdict.TRANSIENT);
        assertThat(failures.classify(new RemoteStoreException("GET failed", 403, "AccessDenied", 1, false, null), false)).isEqualTo(Failures.Verdict.UNEXPECTED);
        assertThat(failures.classify(new IllegalStateException("bug"), false)).isEqualTo(Failures.Verdict.UNEXPECTED);
        assertThat(Failures.category(new IllegalStateException("bug"), false)).isEqualTo(BadInputException.Cause.PROCESSING);
        Throwable missing = new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("s3://b/ckpt", null, "no artifact"));
        assertThat(failures.classify(missing, false)).as("retried a few times: a volume may still be mounting").isEqualTo(Failures.Verdict.UNEXPECTED);
        assertThat(Failures.category(missing, false)).isEqualTo(BadInputException.Cause.ARTIFACT);
        assertThat(new Failures(t -> t instanceof IllegalStateException).classify(new IllegalStateException("gpu busy"), false))
                .isEqualTo(Failures.Verdict.TRANSIENT);
    }

    @Test
    void aTransactionTheBrokerAskedToAbortIsRetriedNotCountedAgainstTheRecord() {
        // What commitTransaction throws after a send the broker answered with TRANSACTION_ABORTABLE (KIP-1050:
        // abort the transaction and retry it), e.g. while partition leadership moves.
        Throwable abortable = new KafkaException("Cannot execute transactional method because we are in an error state",
                new TransactionAbortableException("Transaction Request was aborted after exhausting retries."));
        assertThat(failures.classify(abortable, false)).isEqualTo(Failures.Verdict.TRANSIENT);
        assertThat(failures.classify(new KafkaException("in an error state", new RecordTooLargeException("too large")), false))
                .isEqualTo(Failures.Verdict.UNEXPECTED);
    }

    @Test
    void describeAddsTheRootCauseOnce() {
        assertThat(Failures.describe(new RuntimeException("outer", new IllegalArgumentException("root detail"))))
                .isEqualTo("outer (caused by java.lang.IllegalArgumentException: root detail)");
        assertThat(Failures.describe(new RuntimeException("outer: root detail", new IllegalArgumentException("root detail"))))
                .isEqualTo("outer: root detail");
        assertThat(Failures.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
        assertThat(Failures.describe(new RuntimeException("line1\nline2"))).isEqualTo("line1 line2");
    }

    @Test
    void aParseErrorBehindAFailureIsDescribedByPositionNotByTheFilesBytes() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("config", ".json");
        try {
            java.nio.file.Files.writeString(file, "root:x:0:0:root:/root:/bin/bash\n");
            // as ModelConfig and StrictJson.read report it: one line naming the file, the parse error kept as the cause
            Throwable failure;
            try {
                dev.safelora.files.StrictJson.read(file);
                throw new AssertionError("a passwd file parsed as JSON");
            } catch (IllegalArgumentException e) {
                failure = new IllegalStateException("cannot load the model", e);
            }
            String line = Failures.describe(failure);
            assertThat(line).startsWith("cannot load the model").contains("not valid JSON at line 1, column ")
                    .doesNotContain("root").doesNotContain("bash").doesNotContain("Unrecognized token");
            // and a Jackson message wrapped with its text is cut out too
            Throwable wrapped;
            try {
                new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"k\": hunter2}");
                throw new AssertionError("parsed");
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                wrapped = new IllegalArgumentException("cannot read x.json: " + e.getMessage(), e);
            }
            assertThat(Failures.describe(wrapped)).startsWith("cannot read x.json: not valid JSON at line 1, column ")
                    .doesNotContain("hunter2");
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }
}
