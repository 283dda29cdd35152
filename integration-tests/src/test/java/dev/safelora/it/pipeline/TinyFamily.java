package dev.safelora.it.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.demo.DemoData;
import dev.safelora.model.TinyModels;
import dev.safelora.requests.RequestKind;
import dev.safelora.requests.RequestReader;
import dev.safelora.requests.ValidatedRequest;
import java.nio.file.Path;
import java.util.List;

/**
 * A model family of the tests: a generated two-layer Llama base, safety-aligned siblings of it, the demo's
 * counting task as training, held-out and safety data, and the JSON requests a user would submit for it,
 * validated by the same reader as {@code safelora submit}.
 */
final class TinyFamily {

    static final List<String> TARGET_MODULES = List.of("q_proj", "v_proj");
    /** Projected under TOP_K 2: two of the four modules, so projected and untouched modules both show. */
    static final int TOP_K = 2;

    private static final ObjectMapper JSON = new ObjectMapper();

    final String name;
    final Path base;
    final Path aligned;
    final DemoData.DataFiles data;
    private final Path dir;

    private TinyFamily(String name, Path dir) {
        this.name = name;
        this.dir = dir;
        this.base = dir.resolve("base");
        this.aligned = dir.resolve("aligned");
        TinyModels.write(base, TinyModels.Shape.llama(), 1);
        TinyModels.writeAligned(base, aligned, 0.05, 2);
        this.data = DemoData.write(dir.resolve("data"));
    }

    static TinyFamily create(String name, Path root) {
        return new TinyFamily(name, root.resolve(name));
    }

    /** A second safety-aligned checkpoint of the same base, as a model team would publish after more alignment work. */
    Path newAlignedCheckpoint(String version, long seed) {
        Path next = dir.resolve("aligned-" + version);
        TinyModels.writeAligned(base, next, 0.08, seed);
        return next;
    }

    /** A new base checkpoint (a new release of the model) and its own aligned sibling: {@code [base, aligned]}. */
    Path[] newBaseCheckpoint(String version, long seed) {
        Path newBase = dir.resolve("base-" + version);
        Path newAligned = dir.resolve("aligned-for-base-" + version);
        TinyModels.write(newBase, TinyModels.Shape.llama(), seed);
        TinyModels.writeAligned(newBase, newAligned, 0.05, seed + 1);
        return new Path[] {newBase, newAligned};
    }

    ValidatedRequest registration() {
        return registration(base, aligned);
    }

    ValidatedRequest registration(Path alignedDir) {
        return registration(base, alignedDir);
    }

    ValidatedRequest registration(Path baseDir, Path alignedDir) {
        ObjectNode json = JSON.createObjectNode();
        json.put("family", name);
        json.put("baseUri", baseDir.toUri().toString());
        json.put("alignedUri", alignedDir.toUri().toString());
        modules(json.putArray("targetModules"));
        json.put("registeredBy", "integration-tests");
        return new RequestReader().read(RequestKind.REGISTRATION, json.toString(), "registration of " + name);
    }

    /** LoRA r=8 on q_proj/v_proj, a learning rate fit for a tiny random model, TOP_K 2 selection. */
    ValidatedRequest training(String requestId, int epochs) {
        ObjectNode json = JSON.createObjectNode();
        json.put("requestId", requestId);
        json.put("family", name);
        json.put("datasetUri", data.training().toUri().toString());
        json.put("evaluationSetUri", data.heldOut().toUri().toString());
        json.put("safetyEvaluationSetUri", data.safety().toUri().toString());
        ObjectNode lora = json.putObject("lora");
        lora.put("r", 8);
        lora.put("alpha", 16);
        lora.put("dropout", 0.0);
        modules(lora.putArray("targetModules"));
        ObjectNode optimizer = json.putObject("optimizer");
        optimizer.put("learningRate", 0.05);
        optimizer.put("epochs", epochs);
        optimizer.put("batchSize", 4);
        optimizer.put("gradientAccumulationSteps", 1);
        optimizer.put("maxSequenceLength", 64);
        optimizer.put("warmupSteps", 2);
        optimizer.put("weightDecay", 0.0);
        optimizer.put("seed", 42);
        ObjectNode selection = json.putObject("selection");
        selection.put("mode", "TOP_K");
        selection.put("topK", TOP_K);
        json.put("requestedBy", "integration-tests");
        return new RequestReader().read(RequestKind.TRAINING, json.toString(), "training request " + requestId);
    }

    /** A layer selection re-projecting one adapter: {@code policy} as the JSON of the request's {@code policy} field. */
    static ValidatedRequest adapterSelection(String adapterId, String policy) {
        String json = """
                {"scope": "ADAPTER", "target": "%s", "policy": %s, "requestedBy": "integration-tests",
                 "reason": "re-project under another policy"}
                """.formatted(adapterId, policy);
        return new RequestReader().read(RequestKind.SELECTION, json, "selection for " + adapterId);
    }

    private static void modules(ArrayNode array) {
        TARGET_MODULES.forEach(array::add);
    }
}
