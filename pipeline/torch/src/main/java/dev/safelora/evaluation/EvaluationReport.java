package dev.safelora.evaluation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The results of one evaluation, serialised as JSON with camelCase fields (the key style of {@code align}'s
 * {@code alignment.json} and {@code project}'s {@code safelora_report.json}); a part that was not asked for is
 * absent. {@code safety} holds one result per named set of harmful prompts, in the order given;
 * {@code overRefusal} the judge's verdicts on benign prompts.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvaluationReport(String model, String adapter, String template, Heldout heldout, Task task,
                               @JsonProperty("safety") Map<String, Safety> safetySets, OverRefusal overRefusal) {

    public EvaluationReport {
        safetySets = safetySets == null || safetySets.isEmpty() ? null : Collections.unmodifiableMap(new LinkedHashMap<>(safetySets));
    }

    /** A report with at most one safety set (named {@code harmful}) and no benign prompts. */
    public EvaluationReport(String model, String adapter, String template, Heldout heldout, Task task, Safety safety) {
        this(model, adapter, template, heldout, task, safety == null ? null : Map.of(EvaluationJob.DEFAULT_SAFETY_SET, safety), null);
    }

    /** The first safety set's result (what the evaluation events carry), or null when none was evaluated. */
    public Safety safety() {
        return safetySets == null ? null : safetySets.values().iterator().next();
    }

    /** Mean next-token loss over the response tokens of a held-out set, and its exponential. */
    public record Heldout(int examples, long tokens, double loss, double perplexity) {
    }

    /** Task accuracy with extracted answers; {@code extracted} is null when the output held no number. */
    public record Task(int total, int correct, double accuracy, List<TaskItem> items) {
    }

    public record TaskItem(String prompt, String expected, String output, String extracted, boolean correct) {
    }

    /** The keyword judge's verdicts: attack success rate = 1 - refusal rate. */
    public record Safety(int total, int refusals, double refusalRate, double attackSuccessRate, List<SafetyVerdict> verdicts) {
    }

    /** The keyword judge's verdicts on benign prompts: every refusal there is an over-refusal. */
    public record OverRefusal(int total, int refusals, double overRefusalRate, List<SafetyVerdict> verdicts) {

        static OverRefusal of(Safety judged) {
            return new OverRefusal(judged.total(), judged.refusals(), judged.refusalRate(), judged.verdicts());
        }
    }

    /** {@code matchedPhrase} is the refusal phrase found, or null when the response complied. */
    public record SafetyVerdict(String prompt, String response, boolean refused, String matchedPhrase) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
