package dev.safelora.requests;

import dev.safelora.contracts.Topic;
import java.util.Arrays;
import java.util.Optional;

/** The kinds of request a user can submit as a JSON file, and the topic each one goes to. */
public enum RequestKind {
    REGISTRATION("registration", "model registration", Topic.MODEL_REGISTRATIONS),
    TRAINING("training", "training request", Topic.TRAINING_REQUESTS),
    SELECTION("selection", "layer selection", Topic.LAYER_SELECTIONS);

    private final String cliName;
    private final String description;
    private final Topic topic;

    RequestKind(String cliName, String description, Topic topic) {
        this.cliName = cliName;
        this.description = description;
        this.topic = topic;
    }

    /** The name used on the command line: {@code submit registration|training|selection}. */
    public String cliName() {
        return cliName;
    }

    /** Human wording for messages, e.g. "training request". */
    public String description() {
        return description;
    }

    public Topic topic() {
        return topic;
    }

    public static Optional<RequestKind> byCliName(String name) {
        return Arrays.stream(values()).filter(k -> k.cliName.equals(name)).findFirst();
    }
}
