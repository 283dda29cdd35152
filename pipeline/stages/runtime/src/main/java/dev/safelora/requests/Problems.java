package dev.safelora.requests;

import java.util.ArrayList;
import java.util.List;

/** Collects every problem of one request so that they are all reported together. */
final class Problems {

    private final List<String> problems = new ArrayList<>();

    void add(String path, String message) {
        problems.add(path.isEmpty() ? message : path + ": " + message);
    }

    /** Each problem as "path: message". */
    java.util.List<String> list() {
        return java.util.List.copyOf(problems);
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    /** Throws one exception listing every problem, if there are any. */
    void throwIfAny(RequestKind kind, String source) {
        if (problems.isEmpty()) {
            return;
        }
        String count = problems.size() == 1 ? "1 problem" : problems.size() + " problems";
        throw new InvalidRequestException(
                "invalid " + kind.description() + " in " + source + " (" + count + "): " + String.join("; ", problems),
                problems);
    }
}
