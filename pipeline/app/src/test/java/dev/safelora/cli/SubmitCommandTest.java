package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The submit command's outcomes that need no broker: dry runs, usage errors, invalid requests. */
class SubmitCommandTest {

    private static final Path EXAMPLES = Path.of("..", "..", "examples", "requests");

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void dryRunPrintsTheValidatedRecordAsJson() throws IOException {
        Instant before = Instant.now().minusSeconds(1);
        CliRun run = run("submit", "training", "--file", EXAMPLES.resolve("training.json").toString(), "--dry-run",
                "--bootstrap-servers", "unreachable.invalid:9", "--registry-url", "http://unreachable.invalid:9");

        assertThat(run.exitCode()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("requestId").asText()).isEqualTo("tiny-llama-samsum-001");
        assertThat(json.get("lora").get("r").asInt()).isEqualTo(8);
        assertThat(json.get("lora").get("targetModules").toString()).isEqualTo("[\"q_proj\",\"v_proj\"]");
        assertThat(json.get("optimizer").get("learningRate").asDouble()).isEqualTo(2e-4);
        assertThat(json.get("optimizer").get("gradientAccumulationSteps").asInt()).isEqualTo(2);
        assertThat(json.get("selection").get("mode").asText()).isEqualTo("THRESHOLD");
        assertThat(json.get("selection").get("threshold").asDouble()).isEqualTo(0.35);
        assertThat(json.get("selection").get("topK").isNull()).isTrue();
        assertThat(json.get("safetyEvaluationSetUri").isNull()).isTrue();
        assertThat(Instant.parse(json.get("requestedAt").asText())).isBetween(before, Instant.now());
        assertThat(run.err()).isEqualTo("dry run: valid training request; would produce to safelora.training-requests.v1 "
                + "with key tiny-llama-samsum-001" + System.lineSeparator());
    }

    @Test
    void dryRunOfARegistrationShowsTheGeneratedUuid() throws IOException {
        CliRun run = run("submit", "registration", "-f", EXAMPLES.resolve("registration.json").toString(), "--dry-run");

        assertThat(run.exitCode()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("registrationId").asText()).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(json.get("family").asText()).isEqualTo("tiny-llama");
        assertThat(json.get("labels").get("team").asText()).isEqualTo("platform");
        assertThat(run.err()).contains("would produce to safelora.model-registrations.v1 with key tiny-llama");
    }

    @Test
    void invalidRequestExitsOneWithOneLineNamingEveryProblem(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"family\": \"f\", \"datasetUri\": \"http://x/y\", \"requestedBy\": \"u\", \"lora\": {\"r\": 0}}");

        CliRun run = run("submit", "training", "--file", file.toString(), "--dry-run");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).isEqualTo("safelora: error: invalid training request in " + file + " (2 problems): datasetUri: "
                + "\"http://x/y\": http:// is not an artifact store; copy the files to a file:// volume or an s3:// bucket "
                + "(plain HTTP cannot list a checkpoint directory, and weights are not fetched from arbitrary web servers); "
                + "lora.r: must be > 0, got 0" + System.lineSeparator());
    }

    @Test
    void malformedJsonExitsOneWithLineAndColumn(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("broken.json");
        Files.writeString(file, "{\n  \"scope\": \"FAMILY\",\n  \"target\": \"f\"\n  \"policy\": {}\n}\n");

        CliRun run = run("submit", "selection", "--file", file.toString(), "--dry-run");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("safelora: error: malformed JSON in layer selection " + file
                + " at line 4, column 3: an unexpected character"
                + System.lineSeparator());
    }

    @Test
    void missingFileExitsOne() {
        CliRun run = run("submit", "training", "--file", "no/such/request.json", "--dry-run");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("safelora: error: cannot read request file no/such/request.json: no such file"
                + System.lineSeparator());
    }

    @Test
    void unknownKindIsAUsageErrorExitingTwo() {
        CliRun run = run("submit", "adapter", "--file", "x.json");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("safelora: error: ")
                .contains("unknown request kind 'adapter' (expected one of: registration, training, selection)")
                .contains("(see 'safelora submit --help')");
        assertThat(run.err().lines()).hasSize(1);
    }

    @Test
    void missingFileOptionAndMissingKindAreUsageErrors() {
        CliRun noFile = run("submit", "training");
        assertThat(noFile.exitCode()).isEqualTo(2);
        assertThat(noFile.err()).isEqualTo("safelora: error: Missing required option: '--file=REQ.json' "
                + "(see 'safelora submit --help')" + System.lineSeparator());

        CliRun noKind = run("submit", "--file", "x.json");
        assertThat(noKind.exitCode()).isEqualTo(2);
        assertThat(noKind.err()).contains("Missing required parameter: 'KIND'");
    }

    @Test
    void helpDescribesKindsAndExitCodes() {
        CliRun run = run("submit", "--help");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("registration", "training", "selection", "--dry-run", "--bootstrap-servers",
                "--registry-url", "--config", "2 usage error");
    }

    @Test
    void unreadableClientConfigIsNamed() {
        CliRun run = run("submit", "training", "--file", EXAMPLES.resolve("training.json").toString(), "--config", "no/such.properties");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("safelora: error: cannot read client settings file no/such.properties");
        assertThat(run.err().lines()).hasSize(1);
    }

    @Test
    void nonPositiveTimeoutIsAUsageError() {
        CliRun run = run("submit", "training", "--file", EXAMPLES.resolve("training.json").toString(), "--timeout", "0");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("safelora: error: --timeout must be > 0 seconds, got 0 (see 'safelora submit --help')"
                + System.lineSeparator());
    }

    @Test
    void dashReadsTheRequestFromStandardInput() throws IOException {
        java.io.InputStream stdin = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream(
                    "{\"scope\": \"FAMILY\", \"target\": \"fam\", \"requestedBy\": \"u\", \"policy\": {\"mode\": \"TOP_K\", \"topK\": 0}}"
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            CliRun run = run("submit", "selection", "--file", "-", "--dry-run");

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).isEqualTo("safelora: error: invalid layer selection in <stdin> (1 problem): policy.topK: must be > 0, got 0"
                    + System.lineSeparator());
        } finally {
            System.setIn(stdin);
        }
    }
}
