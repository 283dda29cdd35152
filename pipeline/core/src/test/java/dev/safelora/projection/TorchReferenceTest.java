package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.CheckpointPair;
import dev.safelora.alignment.Progress;
import dev.safelora.tensor.SafetensorsFile;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Against the committed torch fixture (see src/test/resources/reference/torch-safelora/README.md):
 * files written by the reference safetensors library, cosines, selection, Pdst and projected B as
 * PEFT's project_weights computes them.
 */
class TorchReferenceTest {

    private static Path fixture() throws URISyntaxException {
        return Path.of(TorchReferenceTest.class.getResource("/reference/torch-safelora/torch.json").toURI()).getParent();
    }

    @Test
    void sameCosinesSelectionPdstAndProjectedWeightsAsTorch() throws Exception {
        Path dir = fixture();
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("torch.json").toFile());
        double tau = expected.get("tau").asDouble();
        PeftAdapter adapter = PeftAdapter.read(dir.resolve("adapter"));
        SafeLoraProjector.Result result;
        try (CheckpointPair pair = CheckpointPair.open(dir.resolve("base"), dir.resolve("aligned"), Set.of("q_proj", "v_proj"))) {
            result = SafeLoraProjector.project(adapter, pair, Selection.threshold(tau), Progress.NONE);
        }
        var modules = result.report().modules();
        assertThat(modules).hasSize(expected.get("names").size());
        for (int i = 0; i < modules.size(); i++) {
            ModuleResult m = modules.get(i);
            assertThat(m.name()).isEqualTo(expected.get("names").get(i).asText());
            // torch rounds in float32: the 5-decimal values agree up to the float representation
            assertThat(m.cosine()).as(m.name()).isCloseTo(expected.get("cos").get(i).asDouble(), within(1e-6));
            assertThat(m.projected()).as(m.name()).isEqualTo(expected.get("projected").get(i).asBoolean());
        }
        assertThat(result.report().pdst()).isCloseTo(expected.get("pdst").asDouble(), within(1e-6));
        try (SafetensorsFile torchB = SafetensorsFile.open(dir.resolve("torch_projected.safetensors"))) {
            for (ModuleResult m : modules) {
                float[] want = torchB.floats("base_model.model." + m.name() + ".lora_B.weight");
                float[] got = result.adapter().modules().get(m.name()).b();
                for (int k = 0; k < want.length; k++) {
                    assertThat((double) got[k]).as(m.name()).isCloseTo(want[k], within(1e-5 * (1 + Math.abs(want[k]))));
                }
            }
        }
    }

    @Test
    void exactDifferenceMovesCosinesOffPeftsBf16Rounding() throws Exception {
        Path dir = fixture();
        PeftAdapter adapter = PeftAdapter.read(dir.resolve("adapter"));
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("torch.json").toFile());
        try (CheckpointPair pair = CheckpointPair.open(dir.resolve("base"), dir.resolve("aligned"), Set.of("q_proj", "v_proj"))) {
            pair.difference(CheckpointPair.Difference.EXACT);
            var modules = SafeLoraProjector.project(adapter, pair, Selection.threshold(0.5), Progress.NONE).report().modules();
            double maxDiff = 0;
            for (int i = 0; i < modules.size(); i++) {
                maxDiff = Math.max(maxDiff, Math.abs(modules.get(i).cosine() - expected.get("cos").get(i).asDouble()));
            }
            assertThat(maxDiff).isGreaterThan(1e-5).isLessThan(1e-3);
        }
    }
}
