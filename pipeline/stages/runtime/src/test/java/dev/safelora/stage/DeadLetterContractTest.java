package dev.safelora.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/**
 * The dead-letter contract has one source, {@link DeadLetters#CONTRACT}: schemas/README.md carries its
 * rendering, and what {@link DeadLetters#of} writes is exactly that header set in those encodings.
 */
class DeadLetterContractTest {

    private static final Path SCHEMAS_README = Path.of("..", "..", "..", "schemas", "README.md");
    private static final String BEGIN = "<!-- dlq-contract:begin";
    private static final String END = "<!-- dlq-contract:end -->";

    @Test
    void theSchemasReadmeTableIsTheContractInCode() throws Exception {
        String readme = Files.readString(SCHEMAS_README);
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        assertThat(begin).as("schemas/README.md marks the dead-letter table with %s ... %s", BEGIN, END).isNotNegative();
        assertThat(end).isGreaterThan(begin);
        String table = readme.substring(readme.indexOf('\n', begin) + 1, end);
        assertThat(table).as("schemas/README.md's dead-letter table; paste this between the markers:\n"
                + DeadLetters.contractTable()).isEqualTo(DeadLetters.contractTable());
    }

    @Test
    void aDeadLetterIsTheOriginalRecordPlusExactlyTheContractHeaders() {
        RecordHeaders original = new RecordHeaders();
        original.add("trace-id", "t-1".getBytes(StandardCharsets.UTF_8));
        original.add(DeadLetters.CAUSE, "FROM_AN_EARLIER_FAILURE".getBytes(StandardCharsets.UTF_8));
        byte[] key = "req-1".getBytes(StandardCharsets.UTF_8);
        byte[] value = {0, 0, 0, 0, 7, 1, 2, 3};
        ConsumerRecord<byte[], byte[]> source = new ConsumerRecord<>("safelora.training-requests.v1", 2, 41L, 1_700_000_000_123L,
                TimestampType.CREATE_TIME, key.length, value.length, key, value, original, java.util.Optional.empty());

        ProducerRecord<byte[], byte[]> dead = DeadLetters.of(source, new BadInputException("lora.r must be > 0, got 0"),
                BadInputException.Cause.VALIDATION, "planner", 1, Instant.parse("2026-01-02T03:04:05.678Z"));

        assertThat(dead.topic()).isEqualTo("safelora.training-requests.v1.dlq");
        assertThat(dead.key()).isSameAs(key);
        assertThat(dead.value()).isSameAs(value);
        List<String> names = Arrays.stream(dead.headers().toArray()).map(Header::key).toList();
        assertThat(names).containsExactlyElementsOf(concat("trace-id", DeadLetters.CONTRACT.stream().map(DeadLetters.ContractHeader::name).toList()));
        assertThat(DeadLetters.violations(dead.headers())).isEmpty();
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("2");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("41");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_TIMESTAMP)).isEqualTo("1700000000123");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.CAUSE)).isEqualTo("VALIDATION");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.FAILED_AT)).isEqualTo("2026-01-02T03:04:05.678Z");
    }

    @Test
    void headersOutsideTheContractAreNamed() {
        RecordHeaders headers = new RecordHeaders(DeadLetters.headers(List.of(), new DeadLetters.Reason(new RuntimeException("x"),
                BadInputException.Cause.OTHER, "t", 0, 0, 0, "trainer", 1, Instant.EPOCH)).toArray());
        headers.remove(DeadLetters.STAGE);
        headers.remove(DeadLetters.SOURCE_OFFSET).add(DeadLetters.SOURCE_OFFSET, "forty-one".getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetters.ATTEMPTS, "2".getBytes(StandardCharsets.UTF_8));

        assertThat(DeadLetters.violations(headers)).containsExactlyInAnyOrder(
                DeadLetters.STAGE + " is missing",
                DeadLetters.SOURCE_OFFSET + " is not a UTF-8 decimal integer (int64): 'forty-one'",
                DeadLetters.ATTEMPTS + " appears 2 times");
    }

    private static List<String> concat(String first, List<String> rest) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(first), rest.stream()).toList();
    }
}
