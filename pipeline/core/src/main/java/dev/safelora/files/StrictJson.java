package dev.safelora.files;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/**
 * JSON read from files that may be hostile (adapter configs, shard indexes, safetensors headers, data sets):
 * duplicate keys and trailing content are errors, and an error is described by its position only. Jackson's
 * own messages quote the offending token ("Unrecognized token 'root'"), which would copy the bytes of whatever
 * file a record pointed at into dead-letter headers and failure events that other teams read.
 */
public final class StrictJson {

    /** Duplicate keys and trailing tokens refused; numbers read exactly. */
    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    private StrictJson() {}

    /** The file's JSON tree; a malformed file is an IllegalArgumentException naming the file and the position only. */
    public static JsonNode read(Path file) {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": " + describe(e), e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(file + ": cannot read (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** The text's JSON tree; malformed text is an IllegalArgumentException saying where, not what. */
    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(describe(e), e);
        }
    }

    /** What went wrong and where, without quoting the input: "not valid JSON at line 1, column 5". */
    public static String describe(JsonProcessingException e) {
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        String what = original.startsWith("Duplicate field") ? "a duplicate key"
                : original.startsWith("Trailing token") ? "content after the JSON value"
                : original.contains("end-of-input") ? "truncated JSON"
                : "not valid JSON";
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 0 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return what + where;
    }
}
