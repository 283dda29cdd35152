package dev.safelora.training;

import java.util.List;
import java.util.Objects;

/**
 * One supervised example: an optional system message, earlier conversation turns (context only),
 * the final prompt and the response the model learns to produce. Only {@code response} is
 * trained on; everything before it is context.
 */
public record TrainingExample(String system, List<Exchange> history, String prompt, String response) {

    /** One earlier user/assistant turn of a chat. */
    public record Exchange(String user, String assistant) {
        public Exchange {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(assistant, "assistant");
        }
    }

    public TrainingExample {
        history = List.copyOf(Objects.requireNonNull(history, "history"));
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(response, "response");
    }

    public static TrainingExample of(String prompt, String response) {
        return new TrainingExample(null, List.of(), prompt, response);
    }
}
