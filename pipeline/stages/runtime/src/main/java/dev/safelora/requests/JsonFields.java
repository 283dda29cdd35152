package dev.safelora.requests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Typed, path-aware reading of one JSON object of a request. A field of the wrong type or a
 * missing required field is recorded in {@link Problems} (named by its full path, e.g.
 * {@code lora.r}) and read as absent, so reading continues and every problem is reported at once.
 * An explicit JSON {@code null} counts as absent. {@link #rejectUnknownFields()} reports fields no
 * reader asked for.
 */
final class JsonFields {

    private final ObjectNode node;
    private final String path;
    private final Problems problems;
    private final Set<String> known = new LinkedHashSet<>();

    private JsonFields(ObjectNode node, String path, Problems problems) {
        this.node = node;
        this.path = path;
        this.problems = problems;
    }

    /** The request's top-level object; anything else is a problem (and yields an empty object). */
    static JsonFields root(JsonNode node, Problems problems) {
        if (node instanceof ObjectNode object) {
            return new JsonFields(object, "", problems);
        }
        problems.add("", "the request must be a JSON object, got " + describe(node));
        return new JsonFields(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), "", problems);
    }

    String pathOf(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    Problems problems() {
        return problems;
    }

    private Optional<JsonNode> present(String name) {
        known.add(name);
        JsonNode value = node.get(name);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value);
    }

    private void missing(String name) {
        problems.add(pathOf(name), "is required");
    }

    private void wrongType(String name, String expected, JsonNode actual) {
        problems.add(pathOf(name), "expected " + expected + ", got " + describe(actual));
    }

    Optional<String> string(String name) {
        Optional<JsonNode> value = present(name);
        if (value.isPresent() && !value.get().isTextual()) {
            wrongType(name, "a string", value.get());
            return Optional.empty();
        }
        return value.map(JsonNode::textValue);
    }

    /** A required, non-blank string; null (with a problem recorded) when missing or invalid. */
    String requiredString(String name) {
        Optional<String> value = string(name);
        if (value.isEmpty()) {
            if (!node.hasNonNull(name)) {
                missing(name);
            }
            return null;
        }
        if (value.get().isBlank()) {
            problems.add(pathOf(name), "must not be blank");
            return null;
        }
        return value.get();
    }

    Optional<Integer> integer(String name) {
        return integral(name, 32).map(Long::intValue);
    }

    Optional<Long> longInteger(String name) {
        return integral(name, 64);
    }

    private Optional<Long> integral(String name, int bits) {
        Optional<JsonNode> value = present(name);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        JsonNode v = value.get();
        if (!v.isIntegralNumber()) {
            wrongType(name, "an integer", v);
            return Optional.empty();
        }
        if (!(bits == 32 ? v.canConvertToInt() : v.canConvertToLong())) {
            problems.add(pathOf(name), "is out of range for a " + bits + "-bit integer (got " + v.asText() + ")");
            return Optional.empty();
        }
        return Optional.of(v.longValue());
    }

    Optional<Double> number(String name) {
        Optional<JsonNode> value = present(name);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        JsonNode v = value.get();
        if (!v.isNumber()) {
            wrongType(name, "a number", v);
            return Optional.empty();
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d)) {
            problems.add(pathOf(name), "must be a finite number (got " + v.asText() + ")");
            return Optional.empty();
        }
        return Optional.of(d);
    }

    Optional<Boolean> bool(String name) {
        Optional<JsonNode> value = present(name);
        if (value.isPresent() && !value.get().isBoolean()) {
            wrongType(name, "true or false", value.get());
            return Optional.empty();
        }
        return value.map(JsonNode::booleanValue);
    }

    /** One of an enum's names, exactly as written in the schema (e.g. TOP_K). */
    <E extends Enum<E>> Optional<E> enumValue(String name, Class<E> type) {
        Optional<String> text = string(name);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        List<String> names = new ArrayList<>();
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equals(text.get())) {
                return Optional.of(constant);
            }
            names.add(constant.name());
        }
        problems.add(pathOf(name), "unknown value \"" + text.get() + "\" (expected one of " + String.join(", ", names) + ")");
        return Optional.empty();
    }

    /** An ISO-8601 instant such as 2026-11-27T10:15:30Z. */
    Optional<Instant> instant(String name) {
        Optional<String> text = string(name);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(text.get()));
        } catch (DateTimeParseException e) {
            problems.add(pathOf(name), "expected an ISO-8601 instant such as 2026-01-31T12:00:00Z, got \"" + text.get() + "\"");
            return Optional.empty();
        }
    }

    Optional<List<String>> strings(String name) {
        Optional<JsonNode> value = present(name);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (!value.get().isArray()) {
            wrongType(name, "an array of strings", value.get());
            return Optional.empty();
        }
        List<String> result = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < value.get().size(); i++) {
            JsonNode item = value.get().get(i);
            if (!item.isTextual()) {
                problems.add(pathOf(name) + "[" + i + "]", "expected a string, got " + describe(item));
                ok = false;
            } else {
                result.add(item.textValue());
            }
        }
        return ok ? Optional.of(result) : Optional.empty();
    }

    Optional<List<Integer>> integers(String name) {
        Optional<JsonNode> value = present(name);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (!value.get().isArray()) {
            wrongType(name, "an array of integers", value.get());
            return Optional.empty();
        }
        List<Integer> result = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < value.get().size(); i++) {
            JsonNode item = value.get().get(i);
            if (!item.isIntegralNumber() || !item.canConvertToInt()) {
                problems.add(pathOf(name) + "[" + i + "]", "expected an integer, got " + describe(item));
                ok = false;
            } else {
                result.add(item.intValue());
            }
        }
        return ok ? Optional.of(result) : Optional.empty();
    }

    /** An object whose values are all strings, e.g. labels. */
    Optional<Map<String, String>> stringMap(String name) {
        Optional<JsonNode> value = present(name);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (!value.get().isObject()) {
            wrongType(name, "an object of strings", value.get());
            return Optional.empty();
        }
        Map<String, String> result = new LinkedHashMap<>();
        boolean ok = true;
        for (Iterator<Map.Entry<String, JsonNode>> it = value.get().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual()) {
                problems.add(pathOf(name) + "." + entry.getKey(), "expected a string, got " + describe(entry.getValue()));
                ok = false;
            } else if (entry.getKey().isBlank()) {
                problems.add(pathOf(name), "keys must not be blank");
                ok = false;
            } else {
                result.put(entry.getKey(), entry.getValue().textValue());
            }
        }
        return ok ? Optional.of(result) : Optional.empty();
    }

    /** A nested object, read with the same rules; absent when missing, null or of another type. */
    Optional<JsonFields> object(String name) {
        Optional<JsonNode> value = present(name);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (!(value.get() instanceof ObjectNode object)) {
            wrongType(name, "an object", value.get());
            return Optional.empty();
        }
        return Optional.of(new JsonFields(object, pathOf(name), problems));
    }

    /** Whether a field is given (not missing and not null); does not mark it as known. */
    boolean has(String name) {
        return node.hasNonNull(name);
    }

    /** Reports every field that no reader asked for, naming the ones that are allowed. */
    void rejectUnknownFields() {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                problems.add(pathOf(name), "unknown field (allowed here: " + String.join(", ", known) + ")");
            }
        }
    }

    static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isTextual()) {
            String text = node.textValue();
            return "a string (\"" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "\")";
        }
        if (node.isIntegralNumber()) {
            return "an integer (" + node.asText() + ")";
        }
        if (node.isNumber()) {
            return "a number (" + node.asText() + ")";
        }
        if (node.isBoolean()) {
            return node.asText();
        }
        if (node.isArray()) {
            return "an array";
        }
        return "an object";
    }
}
