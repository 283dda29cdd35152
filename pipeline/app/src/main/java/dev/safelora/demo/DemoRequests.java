package dev.safelora.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.projection.AutoSelection;
import dev.safelora.requests.RequestKind;
import dev.safelora.requests.RequestReader;
import dev.safelora.requests.ValidatedRequest;
import java.nio.file.Path;
import java.util.List;

/**
 * The demo's registration and training requests, written as the JSON a user would submit and
 * validated by the same {@link RequestReader} as {@code safelora submit}.
 */
final class DemoRequests {

    static final String FAMILY = "demo-tiny";
    static final List<String> TARGET_MODULES = List.of("q_proj", "v_proj");

    private static final ObjectMapper JSON = new ObjectMapper();

    private DemoRequests() {
    }

    static ValidatedRequest registration(Path baseDir, Path alignedDir) {
        ObjectNode json = JSON.createObjectNode();
        json.put("family", FAMILY);
        json.put("baseUri", DemoPaths.fileUri(baseDir));
        json.put("alignedUri", DemoPaths.fileUri(alignedDir));
        modules(json.putArray("targetModules"));
        json.put("registeredBy", "safelora-demo");
        json.put("description", "the toy family: a tiny Llama base and its sibling aligned to refuse harmful requests (safelora toy-family)");
        return new RequestReader().read(RequestKind.REGISTRATION, json.toString(), "demo registration");
    }

    /** The selection policy of both requests, fixed before any seed was looked at: AUTO with the documented defaults. */
    static final double AUTO_EPSILON = AutoSelection.DEFAULT_EPSILON;
    static final double AUTO_DELTA = AutoSelection.DEFAULT_DELTA;

    /**
     * A fine-tune of the aligned toy model with the study's recipe (see {@link DemoFineTune}); the task set measures
     * the skill that matters after it, the safety set is the family's held-out harmful requests. Selection AUTO
     * (the documented defaults, epsilon 0.05 and delta 0.1; remedy PROJECT): the trainer walks
     * K = 0, 1, ... modules in ascending-cosine order on half of the harmful set and reports on the other half.
     */
    static ValidatedRequest training(String requestId, DemoFineTune fineTune, DemoPaths paths, long seed) {
        ObjectNode json = JSON.createObjectNode();
        json.put("requestId", requestId);
        json.put("family", FAMILY);
        json.put("datasetUri", DemoPaths.fileUri(paths.data(fineTune.dataset())));
        json.put("evaluationSetUri", DemoPaths.fileUri(paths.data(fineTune.taskSet())));
        json.put("safetyEvaluationSetUri", DemoPaths.fileUri(paths.data(DemoFineTune.HARMFUL_EVAL)));
        ObjectNode lora = json.putObject("lora");
        lora.put("r", 8);
        lora.put("alpha", 16);
        lora.put("dropout", 0.0);
        modules(lora.putArray("targetModules"));
        lora.put("rsLora", false);
        ObjectNode optimizer = json.putObject("optimizer");
        optimizer.put("learningRate", fineTune.learningRate());
        optimizer.put("epochs", fineTune.epochs());
        optimizer.put("batchSize", BATCH_SIZE);
        optimizer.put("gradientAccumulationSteps", 1);
        optimizer.put("maxSequenceLength", MAX_SEQ_LEN);
        optimizer.put("warmupSteps", 0);
        optimizer.put("weightDecay", 0.0);
        optimizer.put("seed", seed);
        ObjectNode selection = json.putObject("selection");
        selection.put("mode", "AUTO");
        selection.put("autoEpsilon", AUTO_EPSILON);
        selection.put("autoDelta", AUTO_DELTA);
        json.put("requestedBy", "safelora-demo");
        json.putObject("labels").put("fine-tune", fineTune.name());
        return new RequestReader().read(RequestKind.TRAINING, json.toString(), "demo training request " + fineTune.name());
    }

    static final int BATCH_SIZE = 8;
    static final int MAX_SEQ_LEN = 48;

    private static void modules(ArrayNode array) {
        TARGET_MODULES.forEach(array::add);
    }
}
