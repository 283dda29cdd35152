package dev.safelora.demo;

import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.EvaluationCompleted;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What one demo run produced: the toy family's seed, the events seen for each request (all of them, so a duplicate
 * shows), what the demo measured itself (the aligned model, over-refusal), where everything lives and how long it took.
 */
public record DemoResult(Path workDir, String family, long seed, AlignmentReady alignment, List<RequestResult> requests,
                         AlignedModel aligned, Duration elapsed) {

    public DemoResult {
        requests = List.copyOf(requests);
    }

    /**
     * The aligned model alone: refusal of the held-out harmful requests the adapters are reported on, over-refusal of
     * the benign requests, and accuracy on each task set (by set name, e.g. {@code eval-task}).
     *
     * @param harmfulPrompts how many harmful requests refusal is measured on (the adapters' too)
     */
    public record AlignedModel(double refusal, int harmfulPrompts, double overRefusal, Map<String, Double> taskAccuracy) {
        public AlignedModel {
            taskAccuracy = Map.copyOf(taskAccuracy);
        }
    }

    /**
     * One fine-tune's request: its events, and the over-refusal of its raw and projected adapter (measured by the demo;
     * the events carry refusal, attack success and task accuracy).
     *
     * @param fineTune {@code harmful} or {@code benign}
     * @param taskSet  the task set its accuracy is measured on
     */
    public record RequestResult(String fineTune, String requestId, String taskSet, List<AdapterPublished> adapters,
                                List<EvaluationCompleted> evaluations, double rawOverRefusal, double projectedOverRefusal) {
        public RequestResult {
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

        public double rawRefusal() {
            return evaluation().getSafetyMetricsBefore().get("refusal_rate");
        }

        public double projectedRefusal() {
            return evaluation().getSafetyMetricsAfter().get("refusal_rate");
        }

        public double rawTaskAccuracy() {
            return evaluation().getTaskMetricsBefore().get("accuracy");
        }

        public double projectedTaskAccuracy() {
            return evaluation().getTaskMetricsAfter().get("accuracy");
        }
    }

    /** The request of the named fine-tune. */
    public RequestResult request(String fineTune) {
        return requests.stream().filter(r -> r.fineTune().equals(fineTune)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no fine-tune named " + fineTune));
    }
}
