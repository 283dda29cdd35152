package dev.safelora.planner;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.requests.RecordRules;
import dev.safelora.stage.BadInputException;

/**
 * The planner's checks on decoded records: what it relies on (the key matches the record, ids and URIs
 * present, hyperparameters in range, a policy consistent with its mode). A failed check is a
 * {@link BadInputException} naming every problem; the record goes to the dead-letter topic.
 */
final class RecordChecks {

    private RecordChecks() {
    }

    /** The key, then every rule of {@link RecordRules#trainingRequest} (the rules {@code submit} and the trainer apply too). */
    static void request(String key, TrainingRequest r) {
        List<String> problems = new ArrayList<>();
        keyMatches(problems, key, "requestId", r.getRequestId());
        problems.addAll(RecordRules.trainingRequest(r));
        fail("training request", key, problems);
    }

    /**
     * Whether {@code request} replays {@code earlier}, a request seen before under the same id (true: the same
     * content, apart from the submission time: {@code submit} stamps the time when the file has none, so
     * resubmitting one file always differs there); a different request under a used id is bad input.
     */
    static boolean replays(TrainingRequest earlier, TrainingRequest request) {
        if (TrainingRequest.newBuilder(request).setRequestedAt(earlier.getRequestedAt()).build().equals(earlier)) {
            return true;
        }
        throw new BadInputException(BadInputException.Cause.VALIDATION, "request id '" + request.getRequestId()
                + "' was already used by a different training request; use a new request id");
    }

    static void selection(String key, LayerSelection s) {
        List<String> problems = new ArrayList<>();
        keyMatches(problems, key, "target", s.getTarget());
        policy(problems, "policy", s.getPolicy());
        fail("layer selection", key, problems);
    }

    static void alignment(String key, AlignmentEvent a) {
        List<String> problems = new ArrayList<>();
        keyMatches(problems, key, "family", a.getFamily());
        if (a.getOutcome() instanceof AlignmentReady ready) {
            text(problems, "outcome.alignmentUri", ready.getAlignmentUri());
            text(problems, "outcome.baseFingerprint", ready.getBaseFingerprint());
            text(problems, "outcome.alignedFingerprint", ready.getAlignedFingerprint());
        } else if (!(a.getOutcome() instanceof AlignmentFailed)) {
            problems.add("outcome must be AlignmentReady or AlignmentFailed, got " + a.getOutcome());
        }
        fail("alignment event", key, problems);
    }

    static void adapter(String key, AdapterPublished a) {
        List<String> problems = new ArrayList<>();
        keyMatches(problems, key, "adapterId", a.getAdapterId());
        text(problems, "family", a.getFamily());
        text(problems, "requestId", a.getRequestId());
        text(problems, "rawAdapterUri", a.getRawAdapterUri());
        if (a.getAdapterId() != null && a.getAdapterId().equals(a.getPreviousAdapterId())) {
            problems.add("previousAdapterId must differ from adapterId");
        }
        policy(problems, "selection", a.getSelection());
        fail("adapter", key, problems);
    }

    static void policy(List<String> problems, String path, SelectionPolicy p) {
        problems.addAll(RecordRules.policy(path, p));
    }

    private static void keyMatches(List<String> problems, String key, String field, String value) {
        if (value == null || value.isBlank()) {
            problems.add(field + " must not be blank");
        } else if (!Objects.equals(key, value)) {
            problems.add("record key '" + key + "' must equal " + field + " '" + value + "'");
        }
    }

    private static void text(List<String> problems, String field, String value) {
        if (value == null || value.isBlank()) {
            problems.add(field + " must not be blank");
        }
    }

    private static void fail(String what, String key, List<String> problems) {
        if (!problems.isEmpty()) {
            throw new BadInputException(BadInputException.Cause.VALIDATION,
                    "invalid " + what + " '" + key + "': " + String.join("; ", problems));
        }
    }
}
