package dev.safelora.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.schema.AlignedModule;
import dev.safelora.schema.AlignmentErrorCode;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.schema.AlignmentReady;
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
                + "\"durationMs\":12}},\"baseModelName\":null}");
        JsonNode failure = new ObjectMapper().readTree(AvroJson.toJson(failed)).get("outcome");
        assertThat(failure.get("AlignmentFailed").get("errorCode").asText()).isEqualTo("MISSING_MODULE");
    }

    /** bytes, a map of bytes, an enum, a nullable string and logical types: what topic records rarely combine. */
    private static final org.apache.avro.Schema MIXED = new org.apache.avro.Schema.Parser().parse("""
            {"type": "record", "name": "Mixed", "namespace": "dev.safelora.test", "fields": [
              {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
              {"name": "key", "type": ["null", "string"], "default": null},
              {"name": "value", "type": ["null", "bytes"], "default": null},
              {"name": "headers", "type": {"type": "map", "values": "bytes"}},
              {"name": "cause", "type": {"type": "enum", "name": "Cause", "symbols": ["OTHER", "VALIDATION"]}},
              {"name": "attempts", "type": "int"},
              {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}
            """);

    @Test
    void bytesAreBase64NullsAreNullMapsAreObjectsAndLogicalTypesAreReadable() throws Exception {
        GenericData.Record record = new GenericData.Record(MIXED);
        record.put("id", new Utf8(ID.toString()));
        record.put("key", null);
        record.put("value", ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 255}));
        record.put("headers", Map.of("h", ByteBuffer.wrap("v".getBytes(StandardCharsets.UTF_8))));
        record.put("cause", new GenericData.EnumSymbol(MIXED.getField("cause").schema(), "VALIDATION"));
        record.put("attempts", 3);
        record.put("at", AT.toEpochMilli());

        JsonNode json = new ObjectMapper().readTree(AvroJson.toPrettyJson(record));

        assertThat(json.get("id").asText()).isEqualTo(ID.toString());
        assertThat(json.get("key").isNull()).isTrue();
        assertThat(json.get("value").asText()).isEqualTo("AAEC/w==");
        assertThat(json.get("headers").get("h").asText()).isEqualTo("dg==");
        assertThat(json.get("cause").asText()).isEqualTo("VALIDATION");
        assertThat(json.get("attempts").asInt()).isEqualTo(3);
        assertThat(json.get("at").asText()).as("timestamp-millis without conversions, still an instant").isEqualTo("2026-01-02T03:04:05.678Z");
    }

    @Test
    void genericRecordsWithoutConversionsRenderAsTheSpecificOnes() {
        AlignmentEvent specific = event().setOutcome(new AlignmentFailed("tensor x missing", AlignmentErrorCode.MISSING_MODULE)).build();
        GenericData.Record generic = new GenericData.Record(AlignmentEvent.getClassSchema());
        generic.put("alignmentId", new Utf8(ID.toString()));
        generic.put("registrationId", new Utf8(ID.toString()));
        generic.put("family", new Utf8("f"));
        generic.put("baseUri", new Utf8("file:///b"));
        generic.put("alignedUri", new Utf8("file:///a"));
        generic.put("targetModules", List.of(new Utf8("q_proj")));
        generic.put("completedAt", AT.toEpochMilli());
        org.apache.avro.Schema failedSchema = AlignmentFailed.getClassSchema();
        GenericData.Record failed = new GenericData.Record(failedSchema);
        failed.put("reason", new Utf8("tensor x missing"));
        failed.put("errorCode", new GenericData.EnumSymbol(AlignmentErrorCode.getClassSchema(), "MISSING_MODULE"));
        generic.put("outcome", failed);

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
