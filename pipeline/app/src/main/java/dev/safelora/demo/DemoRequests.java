package dev.safelora.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.requests.RequestKind;
import dev.safelora.requests.RequestReader;
import dev.safelora.requests.ValidatedRequest;
import java.nio.file.Path;
import java.util.List;

/**
 * The demo's registration and training request, written as the JSON a user would submit and
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
        json.put("description", "generated tiny Llama pair: base and a safety-aligned sibling");
        return new RequestReader().read(RequestKind.REGISTRATION, json.toString(), "demo registration");
    }

    /**
     * A fine-tune sized to finish in well under a minute on two CPU cores: LoRA rank 8 on q_proj and
     * v_proj of a two-layer model, a learning rate fit for a tiny random model (not the 2e-4 of large
     * ones). The selection overrides the family's THRESHOLD 0.5 with TOP_K 2: the generated alignment
     * direction is random, so every module of the tiny model has a cosine far below 0.5 and the default
     * would project all of them; projecting the two least aligned shows both outcomes side by side.
     */
    static ValidatedRequest training(String requestId, DemoData.DataFiles data, DemoSizing sizing) {
        ObjectNode json = JSON.createObjectNode();
        json.put("requestId", requestId);
        json.put("family", FAMILY);
        json.put("datasetUri", DemoPaths.fileUri(data.training()));
        json.put("evaluationSetUri", DemoPaths.fileUri(data.heldOut()));
        json.put("safetyEvaluationSetUri", DemoPaths.fileUri(data.safety()));
        ObjectNode lora = json.putObject("lora");
        lora.put("r", 8);
        lora.put("alpha", 16);
        lora.put("dropout", 0.0);
        modules(lora.putArray("targetModules"));
        lora.put("rsLora", false);
        ObjectNode optimizer = json.putObject("optimizer");
        optimizer.put("learningRate", sizing.learningRate());
        optimizer.put("epochs", sizing.epochs());
        optimizer.put("batchSize", sizing.batchSize());
        optimizer.put("gradientAccumulationSteps", 1);
        optimizer.put("maxSequenceLength", 64);
        optimizer.put("warmupSteps", 2);
        optimizer.put("weightDecay", 0.0);
        optimizer.put("seed", 42);
        ObjectNode selection = json.putObject("selection");
        selection.put("mode", "TOP_K");
        selection.put("topK", 2);
        json.put("requestedBy", "safelora-demo");
        return new RequestReader().read(RequestKind.TRAINING, json.toString(), "demo training request");
    }

    private static void modules(ArrayNode array) {
        TARGET_MODULES.forEach(array::add);
    }
}
