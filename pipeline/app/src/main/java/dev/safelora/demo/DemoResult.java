package dev.safelora.demo;

import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.EvaluationCompleted;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What one demo run produced: the events seen for its request (all of them, so a duplicate shows),
 * where everything lives, and how long it took.
 */
public record DemoResult(Path workDir, String family, String requestId, AlignmentReady alignment,
                         List<AdapterPublished> adapters, List<EvaluationCompleted> evaluations, Duration elapsed) {

    public DemoResult {
        adapters = List.copyOf(adapters);
        evaluations = List.copyOf(evaluations);
    }

    /** The first (and normally only) adapter published for the request. */
    public AdapterPublished adapter() {
        return adapters.get(0);
    }

    public EvaluationCompleted evaluation() {
        return evaluations.get(0);
    }
}
