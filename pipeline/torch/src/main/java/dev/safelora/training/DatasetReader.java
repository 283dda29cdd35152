package dev.safelora.training;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a JSONL dataset, one example per line, in any of three shapes:
 * <ul>
 *   <li>{@code {"prompt": "...", "response": "..."}} (optionally {@code "system"});</li>
 *   <li>{@code {"messages": [{"role": "system|user|assistant", "content": "..."}, ...]}}: an
 *       optional leading system message, then alternating user/assistant turns ending with the
 *       assistant turn that is trained on;</li>
 *   <li>GSM8K's {@code {"question": "...", "answer": "..."}}.</li>
 * </ul>
 * Blank lines are ignored. A line that is not one of these is an error naming the file and line,
 * or, with {@code skipBadLines}, is skipped and counted. A file without any example is an error.
 * In {@link Mode#PROMPTS} the response may be absent (evaluation prompts); a chat then ends with
 * the user turn to answer.
 */
public final class DatasetReader {

    /** Whether each example must carry the response to train on. */
    public enum Mode { TRAINING, PROMPTS }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A line that cannot be read, when bad lines are not skipped. Its own type so that a command offering a way to
     * skip such lines ({@code train --skip-bad-lines}) can say so, and the others (eval, the stages) do not.
     */
    public static final class BadLine extends IllegalArgumentException {
        BadLine(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Mode mode;
    private final boolean skipBadLines;

    public DatasetReader(Mode mode, boolean skipBadLines) {
        this.mode = mode;
        this.skipBadLines = skipBadLines;
    }

    public static Dataset readTraining(Path file, boolean skipBadLines) {
        return new DatasetReader(Mode.TRAINING, skipBadLines).read(file);
    }

    public static Dataset readPrompts(Path file) {
        return new DatasetReader(Mode.PROMPTS, false).read(file);
    }

    public Dataset read(Path file) {
        List<TrainingExample> examples = new ArrayList<>();
        int skipped = 0;
        int lineNumber = 0;
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new IllegalArgumentException("dataset " + file + " is not a regular file (a directory, FIFO or device)");
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    examples.add(parseLine(line));
                } catch (IllegalArgumentException bad) {
                    if (!skipBadLines) {
                        throw new BadLine(file + " line " + lineNumber + ": " + bad.getMessage(), bad);
                    }
                    skipped++;
                }
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("dataset " + file + " does not exist", e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException(file + " line " + (lineNumber + 1) + ": not valid UTF-8", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dataset " + file + ": " + e.getMessage(), e);
        }
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("dataset " + file + " holds no examples"
                    + (skipped > 0 ? " (all " + skipped + " non-blank lines were unreadable)" : ""));
        }
        return new Dataset(file, examples, skipped);
    }

    /** Parses one JSONL line; an unreadable line is an IllegalArgumentException saying why. */
    public TrainingExample parseLine(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            // Position only: Jackson's message quotes the token, i.e. the bytes of whatever file this is.
            throw new IllegalArgumentException(dev.safelora.files.StrictJson.describe(e));
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        if (node.has("messages")) {
            return chat(node.get("messages"));
        }
        if (node.has("prompt")) {
            return new TrainingExample(optionalText(node, "system"), List.of(),
                    text(node, "prompt"), response(node, "response"));
        }
        if (node.has("question")) {
            return new TrainingExample(null, List.of(), text(node, "question"), response(node, "answer"));
        }
        throw new IllegalArgumentException(
                "expected {\"prompt\",\"response\"}, {\"messages\": [...]} or {\"question\",\"answer\"}, found fields "
                        + fieldNames(node));
    }

    private TrainingExample chat(JsonNode messages) {
        if (!messages.isArray() || messages.isEmpty()) {
            throw new IllegalArgumentException("\"messages\" must be a non-empty array");
        }
        List<String> roles = new ArrayList<>();
        List<String> contents = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                throw new IllegalArgumentException("messages[" + i + "] is not an object");
            }
            roles.add(text(message, "role", "messages[" + i + "]."));
            contents.add(text(message, "content", "messages[" + i + "]."));
        }
        int first = 0;
        String system = null;
        if (roles.get(0).equals("system")) {
            system = contents.get(0);
            first = 1;
        }
        int turns = roles.size() - first;
        boolean endsWithAssistant = turns > 0 && roles.get(roles.size() - 1).equals("assistant");
        if (mode == Mode.TRAINING && !endsWithAssistant) {
            throw new IllegalArgumentException("a training chat must end with an assistant message");
        }
        for (int i = first; i < roles.size(); i++) {
            String expected = (i - first) % 2 == 0 ? "user" : "assistant";
            if (!roles.get(i).equals(expected)) {
                throw new IllegalArgumentException("messages[" + i + "] has role \"" + roles.get(i)
                        + "\" where \"" + expected + "\" was expected (system first, then user and assistant alternating)");
            }
        }
        int last = roles.size() - 1;
        String response = "";
        if (endsWithAssistant) {
            response = contents.get(last);
            last--;
        }
        if (last < first) {
            throw new IllegalArgumentException("the chat has no user message");
        }
        List<TrainingExample.Exchange> history = new ArrayList<>();
        for (int i = first; i < last; i += 2) {
            history.add(new TrainingExample.Exchange(contents.get(i), contents.get(i + 1)));
        }
        return new TrainingExample(system, history, contents.get(last), response);
    }

    private String response(JsonNode node, String field) {
        if (mode == Mode.PROMPTS && !node.has(field)) {
            return "";
        }
        return text(node, field);
    }

    private static String text(JsonNode node, String field) {
        return text(node, field, "");
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("missing field \"" + where + field + "\"");
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("field \"" + where + field + "\" must be a string");
        }
        return value.textValue();
    }

    private static String optionalText(JsonNode node, String field) {
        return node.hasNonNull(field) ? text(node, field) : null;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
