package dev.safelora.requests;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;

/**
 * Turns a user's JSON request file into the validated Avro record to produce. Every problem of a
 * well-formed file is reported together in one {@link InvalidRequestException}; malformed JSON is
 * reported with its line and column. Ids and timestamps the user left out are generated here.
 */
public final class RequestReader {

    /** Requests are small documents; anything bigger is a mistake (a dataset passed as a request). */
    public static final int MAX_REQUEST_BYTES = 1 << 20;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .build();

    private final Clock clock;
    private final Supplier<UUID> ids;

    /** Real time and random UUIDs. */
    public RequestReader() {
        this(Clock.systemUTC(), UUID::randomUUID);
    }

    /** With a fixed clock and id source, for reproducible output. */
    public RequestReader(Clock clock, Supplier<UUID> ids) {
        this.clock = clock;
        this.ids = ids;
    }

    public ValidatedRequest read(RequestKind kind, Path file) {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException("cannot read request file " + file + ": it is a directory");
            }
            // Read at most one byte past the limit: Files.size() of /dev/zero or a pipe says nothing about its length.
            try (java.io.InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_REQUEST_BYTES + 1);
            }
            if (bytes.length > MAX_REQUEST_BYTES) {
                throw new IllegalArgumentException("request file " + file + " is larger than " + MAX_REQUEST_BYTES
                        + " bytes; a request is a small JSON document");
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cannot read request file " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read request file " + file + ": " + e.getMessage());
        }
        return read(kind, bytes, file.toString());
    }

    public ValidatedRequest read(RequestKind kind, String json, String source) {
        return read(kind, json.getBytes(StandardCharsets.UTF_8), source);
    }

    /** Reads the raw bytes of a request (e.g. standard input); {@code source} names it in messages. */
    public ValidatedRequest read(RequestKind kind, byte[] json, String source) {
        if (json.length > MAX_REQUEST_BYTES) {
            throw new IllegalArgumentException("request " + source + " is " + json.length
                    + " bytes; a request is a small JSON document (at most " + MAX_REQUEST_BYTES + " bytes)");
        }
        JsonNode tree = parse(kind, json, source);
        Problems problems = new Problems();
        JsonFields root = JsonFields.root(tree, problems);
        RequestContext context = new RequestContext(clock, ids, problems);
        SpecificRecord value = switch (kind) {
            case REGISTRATION -> RegistrationRequests.read(root, context);
            case TRAINING -> TrainingRequests.read(root, context);
            case SELECTION -> SelectionRequests.read(root, context);
        };
        problems.throwIfAny(kind, source);
        return new ValidatedRequest(kind, keyOf(kind, value), value);
    }

    static String keyOf(RequestKind kind, SpecificRecord value) {
        return switch (kind) {
            case REGISTRATION -> ((dev.safelora.schema.ModelRegistration) value).getFamily();
            case TRAINING -> ((dev.safelora.schema.TrainingRequest) value).getRequestId();
            case SELECTION -> ((dev.safelora.schema.LayerSelection) value).getTarget();
        };
    }

    private static JsonNode parse(RequestKind kind, byte[] json, String source) {
        String prefix = "malformed JSON in " + kind.description() + " " + source;
        String text = Utf8Text.decode(json, prefix);
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            // Position only: Jackson's message quotes the offending token, i.e. the bytes of whatever file this is.
            String reason = dev.safelora.files.StrictJson.problem(e);
            throw new InvalidRequestException(prefix + dev.safelora.files.StrictJson.position(e) + ": " + reason, List.of(reason));
        } catch (IOException e) {
            throw new InvalidRequestException(prefix + ": " + e.getMessage(), List.of(String.valueOf(e.getMessage())));
        }
        if (tree == null || tree.isMissingNode()) {
            throw new InvalidRequestException(prefix + ": the file is empty", List.of("the file is empty"));
        }
        return tree;
    }

    /** What the per-kind readers share: time, id generation, and the problem list. */
    record RequestContext(Clock clock, Supplier<UUID> ids, Problems problems) {}
}
