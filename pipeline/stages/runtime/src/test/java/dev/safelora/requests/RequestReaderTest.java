package dev.safelora.requests;

import static dev.safelora.requests.Requests.EXAMPLES;
import static dev.safelora.requests.Requests.NOW;
import static dev.safelora.requests.Requests.generated;
import static dev.safelora.requests.Requests.reader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.LoraSettings;
import dev.safelora.schema.ModelRegistration;
import dev.safelora.schema.OptimizerSettings;
import dev.safelora.schema.SchemaClasses;
import dev.safelora.schema.SelectionMode;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.SelectionScope;
import dev.safelora.schema.TrainingRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Valid requests: the example files, defaults, generated ids, and Avro round trips. */
class RequestReaderTest {

    @BeforeAll
    static void trust() {
        SchemaClasses.trust();
    }

    @Test
    void registrationExample() {
        ValidatedRequest request = reader().read(RequestKind.REGISTRATION, EXAMPLES.resolve("registration.json"));

        ModelRegistration expected = ModelRegistration.newBuilder()
                .setRegistrationId(generated(1))
                .setFamily("tiny-llama")
                .setBaseUri("file:///var/lib/safelora/models/tiny-llama-base")
                .setAlignedUri("file:///var/lib/safelora/models/tiny-llama-chat")
                .setTargetModules(List.of("q_proj", "v_proj"))
                .setRegisteredBy("alice@example.com")
                .setRegisteredAt(NOW)
                .setDescription("Tiny Llama-family pair: base and its safety-aligned chat model")
                .setLabels(Map.of("team", "platform"))
                .build();
        assertThat(request.value()).isEqualTo(expected);
        assertThat(request.key()).isEqualTo("tiny-llama");
        assertThat(request.topic().topicName()).isEqualTo("safelora.model-registrations.v1");
    }

    @Test
    void trainingExampleKeepsEveryGivenValue() {
        ValidatedRequest request = reader().read(RequestKind.TRAINING, EXAMPLES.resolve("training.json"));

        TrainingRequest expected = TrainingRequest.newBuilder()
                .setRequestId("tiny-llama-samsum-001")
                .setFamily("tiny-llama")
                .setDatasetUri("file:///var/lib/safelora/data/samsum-train.jsonl")
                .setEvaluationSetUri("file:///var/lib/safelora/data/samsum-eval.jsonl")
                .setSafetyEvaluationSetUri(null)
                .setLora(new LoraSettings(8, 16.0, 0.05, List.of("q_proj", "v_proj"), false))
                .setOptimizer(new OptimizerSettings(0.0002, 3, 4, 2, 512, 10, 0.0, 42L))
                .setSelection(SelectionPolicy.newBuilder().setMode(SelectionMode.THRESHOLD).setThreshold(0.35).build())
                .setRequestedBy("bob@example.com")
                .setRequestedAt(NOW)
                .setRetrainOf(null)
                .setLabels(Map.of("ticket", "ML-1234"))
                .build();
        assertThat(request.value()).isEqualTo(expected);
        assertThat(request.key()).isEqualTo("tiny-llama-samsum-001");
        assertThat(request.topic().topicName()).isEqualTo("safelora.training-requests.v1");
    }

    @Test
    void minimalTrainingRequestTakesTheReferenceRecipe() {
        ValidatedRequest request = reader().read(RequestKind.TRAINING, EXAMPLES.resolve("training-minimal.json"));
        TrainingRequest value = (TrainingRequest) request.value();

        assertThat(value.getRequestId()).isEqualTo("00000000-0000-0000-0000-000000000001");
        assertThat(request.key()).isEqualTo(value.getRequestId());
        assertThat(value.getRequestedAt()).isEqualTo(NOW);
        assertThat(value.getLora()).isEqualTo(new LoraSettings(8, 16.0, 0.05, List.of("q_proj", "v_proj"), false));
        assertThat(value.getOptimizer()).isEqualTo(new OptimizerSettings(2e-4, 3, 4, 1, 512, 0, 0.0, 42L));
        assertThat(value.getSelection()).isNull();
        assertThat(value.getEvaluationSetUri()).isNull();
        assertThat(value.getLabels()).isEmpty();
        assertThat(value.getDatasetUri()).isEqualTo("s3://ml-datasets/samsum/train.jsonl");
    }

    @Test
    void partialHyperparametersKeepDefaultsForTheRest() {
        String json = """
                {"family": "f", "datasetUri": "file:///d", "requestedBy": "u",
                 "lora": {"r": 16, "rsLora": true}, "optimizer": {"epochs": 1, "seed": 9007199254740993}}
                """;
        TrainingRequest value = (TrainingRequest) reader().read(RequestKind.TRAINING, json, "inline").value();

        assertThat(value.getLora()).isEqualTo(new LoraSettings(16, 16.0, 0.05, List.of("q_proj", "v_proj"), true));
        assertThat(value.getOptimizer()).isEqualTo(new OptimizerSettings(2e-4, 1, 4, 1, 512, 0, 0.0, 9007199254740993L));
    }

    @Test
    void remedyAndAutoSelectionAreReadWithTheirDefaults() {
        String auto = """
                {"family": "f", "datasetUri": "file:///d", "requestedBy": "u",
                 "selection": {"mode": "AUTO", "remedy": "SUBSPACE", "subspaceRank": 4, "autoEpsilon": 0.02}}
                """;
        SelectionPolicy policy = ((TrainingRequest) reader().read(RequestKind.TRAINING, auto, "inline").value()).getSelection();
        assertThat(policy.getMode()).isEqualTo(SelectionMode.AUTO);
        assertThat(policy.getRemedy()).isEqualTo("SUBSPACE");
        assertThat(policy.getSubspaceRank()).isEqualTo(4);
        assertThat(policy.getAutoEpsilon()).isEqualTo(0.02);
        assertThat(policy.getAutoDelta()).as("documented default").isEqualTo(0.1);
        String plain = """
                {"family": "f", "datasetUri": "file:///d", "requestedBy": "u", "selection": {"mode": "TOP_K", "topK": 2}}
                """;
        SelectionPolicy topK = ((TrainingRequest) reader().read(RequestKind.TRAINING, plain, "inline").value()).getSelection();
        assertThat(topK.getRemedy()).as("SafeLoRA's projection unless asked otherwise").isEqualTo("PROJECT");
        String bad = """
                {"family": "f", "datasetUri": "file:///d", "requestedBy": "u",
                 "selection": {"mode": "TOP_K", "topK": 2, "remedy": "ZERO", "subspaceRank": 3, "autoDelta": 0.5}}
                """;
        assertThatThrownBy(() -> reader().read(RequestKind.TRAINING, bad, "inline"))
                .hasMessageContaining("selection.subspaceRank: applies to remedy SUBSPACE only")
                .hasMessageContaining("selection.autoDelta: does not apply to mode TOP_K");
        String unknown = """
                {"family": "f", "datasetUri": "file:///d", "requestedBy": "u", "selection": {"mode": "TOP_K", "topK": 2, "remedy": "scale"}}
                """;
        assertThatThrownBy(() -> reader().read(RequestKind.TRAINING, unknown, "inline"))
                .hasMessageContaining("selection.remedy: unknown value \"scale\" (expected one of PROJECT, SUBSPACE, ZERO, SHRINK)");
    }

    @Test
    void familySelectionExample() {
        ValidatedRequest request = reader().read(RequestKind.SELECTION, EXAMPLES.resolve("selection-family.json"));

        assertThat(request.value()).isEqualTo(LayerSelection.newBuilder()
                .setSelectionId(generated(1))
                .setScope(SelectionScope.FAMILY)
                .setTarget("tiny-llama")
                .setPolicy(SelectionPolicy.newBuilder().setMode(SelectionMode.TOP_K).setTopK(4).build())
                .setRequestedBy("carol@example.com")
                .setRequestedAt(NOW)
                .setReason("project the four least aligned modules of every new tiny-llama adapter")
                .build());
        assertThat(request.key()).isEqualTo("tiny-llama");
        assertThat(request.topic().topicName()).isEqualTo("safelora.layer-selections.v1");
    }

    @Test
    void adapterSelectionExample() {
        ValidatedRequest request = reader().read(RequestKind.SELECTION, EXAMPLES.resolve("selection-adapter.json"));
        LayerSelection value = (LayerSelection) request.value();

        assertThat(value.getScope()).isEqualTo(SelectionScope.ADAPTER);
        assertThat(request.key()).isEqualTo("0cd559cc-07e2-30a8-8a6a-9f39e5134c39");
        assertThat(value.getPolicy()).isEqualTo(SelectionPolicy.newBuilder().setMode(SelectionMode.EXPLICIT)
                .setLayers(List.of(0, 1)).setModules(List.of("model.layers.3.self_attn.v_proj")).build());
    }

    @Test
    void givenIdsAndTimesAreKeptAndUuidRequestIdsAreLowerCased() {
        String registration = """
                {"registrationId": "0F8FAD5B-D9CB-469F-A165-70867728950E", "registeredAt": "2025-06-30T23:59:59.123Z",
                 "family": "llama-2-7b", "baseUri": "s3://models/base", "alignedUri": "s3://models/chat", "registeredBy": "ci",
                 "baseModelName": "meta-llama/Llama-2-7b-hf"}
                """;
        ModelRegistration r = (ModelRegistration) reader().read(RequestKind.REGISTRATION, registration, "inline").value();
        assertThat(r.getBaseModelName()).isEqualTo("meta-llama/Llama-2-7b-hf");
        assertThat(r.getRegistrationId().toString()).isEqualTo("0f8fad5b-d9cb-469f-a165-70867728950e");
        assertThat(r.getRegisteredAt()).isEqualTo(Instant.parse("2025-06-30T23:59:59.123Z"));

        String training = """
                {"requestId": "0F8FAD5B-D9CB-469F-A165-70867728950E", "family": "f", "datasetUri": "file:///d", "requestedBy": "u"}
                """;
        ValidatedRequest t = reader().read(RequestKind.TRAINING, training, "inline");
        assertThat(t.key()).isEqualTo("0f8fad5b-d9cb-469f-a165-70867728950e");
    }

    @Test
    void explicitNullMeansAbsent() {
        String json = """
                {"family": "f", "datasetUri": "file:///d", "requestedBy": "u", "evaluationSetUri": null,
                 "selection": null, "lora": null}
                """;
        TrainingRequest value = (TrainingRequest) reader().read(RequestKind.TRAINING, json, "inline").value();
        assertThat(value.getEvaluationSetUri()).isNull();
        assertThat(value.getSelection()).isNull();
        assertThat(value.getLora().getR()).isEqualTo(8);
    }

    static Stream<Arguments> examples() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().map(f -> {
                String name = f.getFileName().toString();
                RequestKind kind = name.startsWith("registration") ? RequestKind.REGISTRATION
                        : name.startsWith("training") ? RequestKind.TRAINING : RequestKind.SELECTION;
                return Arguments.of(name, kind);
            }).toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void everyExampleSurvivesAnAvroBinaryRoundTrip(String file, RequestKind kind) throws IOException {
        SpecificRecord record = reader().read(kind, EXAMPLES.resolve(file)).value();
        assertThat(record.getClass()).isEqualTo(kind.topic().valueClass());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Encoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<SpecificRecord>(record.getSchema()).write(record, encoder);
        encoder.flush();
        SpecificRecord back = new SpecificDatumReader<SpecificRecord>(record.getSchema())
                .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));

        assertThat(back).isEqualTo(record);
        assertThat(back.toString()).isEqualTo(record.toString());
    }

    @Test
    void examplesCoverEveryKind() throws IOException {
        assertThat(examples().map(a -> (RequestKind) a.get()[1])).contains(RequestKind.values());
    }
}
