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

    /**
     * A failure while reading JSON, described without quoting the input: a parse error by its position
     * ({@link #describe(JsonProcessingException)}), any other I/O error by its own message (which names a path, not content).
     */
    public static String reason(IOException e) {
        if (e instanceof JsonProcessingException json) {
            return describe(json);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * {@code message} with any Jackson message of {@code cause}'s chain replaced by {@link #describe}: for a last line of
     * defence where an exception wrapped a parse error with its text.
     */
    public static String withoutContent(String message, Throwable cause) {
        String safe = message;
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof JsonProcessingException json) {
                String described = describe(json);
                for (String quoted : new String[] {json.getMessage(), json.getOriginalMessage()}) {
                    if (quoted != null && !quoted.isBlank()) {
                        safe = safe.replace(quoted, described);
                    }
                }
                if (json.getOriginalMessage() != null) {
                    String first = json.getOriginalMessage().lines().findFirst().orElse("");
                    if (!first.isBlank()) {
                        safe = safe.replace(first, described);
                    }
                }
            }
        }
        return safe;
    }

    /**
     * What kind of mistake, in words that quote nothing of the input: "a duplicate key", "an unexpected character",
     * "an unrecognized token", "content after the value", "truncated", "not the expected JSON structure" or "not valid JSON".
     */
    public static String problem(JsonProcessingException e) {
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        return original.startsWith("Duplicate field") ? "a duplicate key"
                : original.startsWith("Trailing token") ? "content after the value"
                : original.contains("end-of-input") ? "truncated"
                : original.startsWith("Unexpected character") ? "an unexpected character"
                : original.startsWith("Unrecognized token") ? "an unrecognized token"
                : e instanceof com.fasterxml.jackson.databind.JsonMappingException ? "not the expected JSON structure"
                : "not valid JSON";
    }

    /** " at line L, column C" where Jackson knows it, else "". */
    public static String position(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 0 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }

    /** What went wrong and where, without quoting the input: "not valid JSON at line 1, column 5". */
    public static String describe(JsonProcessingException e) {
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        String what = original.startsWith("Duplicate field") ? "not valid JSON: a duplicate key"
                : original.startsWith("Trailing token") ? "not valid JSON: content after the value"
                : original.contains("end-of-input") ? "not valid JSON: truncated"
                // valid JSON that does not fit the expected shape: Jackson's message names the field or value, i.e. file content
                : e instanceof com.fasterxml.jackson.databind.JsonMappingException ? "not the expected JSON structure"
                : "not valid JSON";
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 0 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return what + where;
    }
}
