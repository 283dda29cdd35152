package dev.safelora.evaluation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;

/**
 * The results of one evaluation, serialised as JSON with snake_case fields; a part that was not
 * asked for is absent.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvaluationReport(String model, String adapter, String template, Heldout heldout, Task task, Safety safety) {

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

    /** {@code matchedPhrase} is the refusal phrase found, or null when the response complied. */
    public record SafetyVerdict(String prompt, String response, boolean refused, String matchedPhrase) {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
