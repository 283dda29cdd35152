package dev.safelora.requests;

import java.util.List;

/**
 * A request file that cannot be submitted: malformed JSON, or one or more problems (wrong types,
 * unknown or missing fields, broken business rules), all listed in one message.
 */
public final class InvalidRequestException extends RuntimeException {

    private final List<String> problems;

    InvalidRequestException(String message, List<String> problems) {
        super(message);
        this.problems = List.copyOf(problems);
    }

    /** Each problem as "field.path: what is wrong"; a single entry for malformed JSON. */
    public List<String> problems() {
        return problems;
    }
}
