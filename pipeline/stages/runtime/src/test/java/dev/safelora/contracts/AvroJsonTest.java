package dev.safelora.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.schema.AlignedModule;
import dev.safelora.schema.AlignmentErrorCode;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.DeadLetter;
import dev.safelora.schema.DeadLetterCause;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.generic.GenericData;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

class AvroJsonTest {

    private static final UUID ID = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");
    private static final Instant AT = Instant.parse("2026-01-02T03:04:05.678Z");

    private static AlignmentEvent.Builder event() {
        return AlignmentEvent.newBuilder().setAlignmentId(ID).setRegistrationId(ID).setFamily("f")
                .setBaseUri("file:///b").setAlignedUri("file:///a").setTargetModules(List.of("q_proj")).setCompletedAt(AT);
    }

    @Test
    void unionOfRecordsIsWrappedInTheBranchName() throws Exception {
        AlignmentEvent ready = event().setOutcome(new AlignmentReady("file:///v", "ab", "cd",
                List.of(new AlignedModule("model.layers.0.self_attn.q_proj", 4, 8, 1.5)), 12L)).build();
        AlignmentEvent failed = event().setOutcome(new AlignmentFailed("tensor x missing", AlignmentErrorCode.MISSING_MODULE)).build();

        assertThat(AvroJson.toJson(ready)).isEqualTo("{\"alignmentId\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
                + "\"registrationId\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"family\":\"f\",\"baseUri\":\"file:///b\","
                + "\"alignedUri\":\"file:///a\",\"targetModules\":[\"q_proj\"],\"completedAt\":\"2026-01-02T03:04:05.678Z\","
                + "\"outcome\":{\"AlignmentReady\":{\"alignmentUri\":\"file:///v\",\"baseFingerprint\":\"ab\",\"alignedFingerprint\":\"cd\","
                + "\"modules\":[{\"module\":\"model.layers.0.self_attn.q_proj\",\"rows\":4,\"columns\":8,\"frobeniusNorm\":1.5}],"
                + "\"durationMs\":12}}}");
        JsonNode failure = new ObjectMapper().readTree(AvroJson.toJson(failed)).get("outcome");
        assertThat(failure.get("AlignmentFailed").get("errorCode").asText()).isEqualTo("MISSING_MODULE");
    }

    @Test
    void bytesAreBase64NullsAreNullAndMapsAreObjects() throws Exception {
        DeadLetter letter = DeadLetter.newBuilder().setDeadLetterId(ID).setSourceTopic("t").setSourcePartition(2).setSourceOffset(7L)
                .setKey(null).setValue(ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 255}))
                .setHeaders(Map.of("h", ByteBuffer.wrap("v".getBytes(StandardCharsets.UTF_8))))
                .setStage("planner").setCause(DeadLetterCause.DESERIALIZATION).setReason("bad magic byte 7")
                .setExceptionClass(null).setSchemaId(42).setFailedAt(AT).build();

        JsonNode json = new ObjectMapper().readTree(AvroJson.toPrettyJson(letter));

        assertThat(json.get("key").isNull()).isTrue();
        assertThat(json.get("value").asText()).isEqualTo("AAEC/w==");
        assertThat(json.get("headers").get("h").asText()).isEqualTo("dg==");
        assertThat(json.get("schemaId").asInt()).isEqualTo(42);
        assertThat(json.get("cause").asText()).isEqualTo("DESERIALIZATION");
        assertThat(json.get("failedAt").asText()).isEqualTo("2026-01-02T03:04:05.678Z");
        assertThat(json.get("attempts").asInt()).isEqualTo(1);
    }

    @Test
    void genericRecordsWithoutConversionsRenderTheSame() {
        GenericData.Record generic = new GenericData.Record(DeadLetter.getClassSchema());
        generic.put("deadLetterId", new Utf8(ID.toString()));
        generic.put("sourceTopic", new Utf8("t"));
        generic.put("sourcePartition", 2);
        generic.put("sourceOffset", 7L);
        generic.put("key", new Utf8("k"));
        generic.put("value", null);
        generic.put("headers", Map.of());
        generic.put("stage", "planner");
        generic.put("cause", new GenericData.EnumSymbol(DeadLetterCause.getClassSchema(), "VALIDATION"));
        generic.put("reason", "r > 0 violated");
        generic.put("exceptionClass", null);
        generic.put("schemaId", null);
        generic.put("attempts", 3);
        generic.put("failedAt", AT.toEpochMilli());

        DeadLetter specific = DeadLetter.newBuilder().setDeadLetterId(ID).setSourceTopic("t").setSourcePartition(2).setSourceOffset(7L)
                .setKey("k").setValue(null).setHeaders(Map.of()).setStage("planner").setCause(DeadLetterCause.VALIDATION)
                .setReason("r > 0 violated").setExceptionClass(null).setSchemaId(null).setAttempts(3).setFailedAt(AT).build();

        assertThat(AvroJson.toJson(generic)).isEqualTo(AvroJson.toJson(specific));
    }

    @Test
    void nonFiniteNumbersBecomeStringsSoTheOutputStaysJson() throws Exception {
        dev.safelora.schema.ModuleEvaluation module = new dev.safelora.schema.ModuleEvaluation("m.q_proj", Double.NaN, true, null, null);
        String json = AvroJson.toJson(module);

        assertThat(json).isEqualTo("{\"module\":\"m.q_proj\",\"cosine\":\"NaN\",\"projected\":true,\"signedScore\":null,\"normRatio\":null}");
        assertThat(new ObjectMapper().readTree(json).get("cosine").asText()).isEqualTo("NaN");
    }
}
