package dev.safelora.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ComposeFilesTest {

    private static final ComposeFiles COMPOSE = new ComposeFiles();
    private static final Path DOCKER = Repository.root().resolve("docker");

    private final JsonNode base = YamlFiles.document(DOCKER.resolve("compose.yaml"));
    private final JsonNode gpu = YamlFiles.document(DOCKER.resolve("compose.gpu.yaml"));

    @Test
    void bothFilesFollowTheComposeSpecification() {
        assertThat(COMPOSE.schemaProblems(base)).isEmpty();
        assertThat(COMPOSE.schemaProblems(gpu)).isEmpty();
    }

    @Test
    void theProjectRulesHoldWithAndWithoutTheGpuOverride() {
        assertThat(ComposeFiles.rules(base, Repository.imageTag(), false)).isEmpty();
        assertThat(ComposeFiles.rules(ComposeFiles.merge(base, gpu), Repository.imageTag(), true)).isEmpty();
        assertThat(base.path("services").path("trainer").path("environment").path("SAFELORA_DEVICE").isMissingNode()).isTrue();
    }

    @Test
    void anUnknownServiceKeyIsRefused() {
        ObjectNode broken = base.deepCopy();
        ((ObjectNode) broken.path("services").path("planner")).put("healthcheckk", "x");
        assertThat(COMPOSE.schemaProblems(broken)).isNotEmpty().anySatisfy(p -> assertThat(p).contains("healthcheckk"));
    }

    @Test
    void aStageWithoutAHealthCheckOrAGpuBreaksTheRules() {
        ObjectNode noHealth = base.deepCopy();
        ((ObjectNode) noHealth.path("services").path("projector")).remove("healthcheck");
        assertThat(ComposeFiles.rules(noHealth, Repository.imageTag(), false)).containsExactly("projector: no health check");

        ObjectNode noGpu = gpu.deepCopy();
        ((ObjectNode) noGpu.path("services").path("trainer")).remove("deploy");
        assertThat(ComposeFiles.rules(ComposeFiles.merge(base, noGpu), Repository.imageTag(), true))
                .containsExactly("trainer: the GPU override reserves no device with capabilities [gpu]");
    }

    @Test
    void threadPoolsThatDoNotFollowTheCpusBreakTheRules() {
        ObjectNode changed = base.deepCopy();
        ((ObjectNode) changed.path("services").path("trainer")).put("cpus", 8);
        assertThat(ComposeFiles.rules(changed, Repository.imageTag(), false))
                .containsExactly("trainer: OMP_NUM_THREADS 2 does not follow cpus 8", "trainer: -XX:ActiveProcessorCount does not follow cpus 8");
    }
}
