package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.adapter.ServingConformance;
import dev.safelora.projection.ProjectionReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code safelora demo} end to end, as a user runs it: the toy family, every stage in this JVM on the embedded
 * cluster, one registration and two training requests (harmful and benign fine-tunes), then the summary.
 * What the numbers must be is SafeLoraEffectTest's (integration-tests); here, that the summary and artifacts are there.
 */
class DemoCommandTest {

    private static final List<String> MODULES = List.of(
            "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
            "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");

    @Test
    void runsThePipelineAndSummarisesBothFineTunesSideBySide(@TempDir Path dir) throws Exception {
        CliRun run = CliRun.of("demo", "--work-dir", dir.toString(), "--timeout", "300");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("toy family seed 1", "alignment ready", "adapter published", "evaluation completed",
                "stage.train.from=aligned", "selection AUTO epsilon 0.05 delta 0.1, remedy PROJECT",
                "events for the harmful request: 1 AdapterPublished, 1 EvaluationCompleted",
                "events for the benign request: 1 AdapterPublished, 1 EvaluationCompleted");
        String cell = " +\\| +\\d\\.\\d\\d +\\d\\.\\d\\d +\\d\\.\\d\\d";
        for (String row : List.of("refusal, held-out harmful", "attack success", "over-refusal, benign", "task accuracy")) {
            assertThat(run.out()).containsPattern("(?m)^  " + Pattern.quote(row) + cell + cell + "$");
        }
        assertThat(run.out()).containsPattern("AUTO chose K=\\d: (SAFE|UTILITY_BUDGET|EXHAUSTED)");
        for (String module : MODULES) {
            assertThat(run.out()).containsPattern(Pattern.quote(module) + " +\\d\\.\\d{5} +-?\\d\\.\\d{5} +(yes|no)");
        }

        for (String fineTune : List.of("harmful", "benign")) {
            checkAdapters(run.out(), fineTune, dir);
        }

        // the audit stage ran too: a ledger that verifies and an HTML report of each adapter
        java.util.regex.Matcher ledger = Pattern.compile("audit ledger: +(\\S+)").matcher(run.out());
        assertThat(ledger.find()).as(run.out()).isTrue();
        CliRun verify = CliRun.of("audit", "verify", "--jdbc-url", "jdbc:sqlite:" + ledger.group(1));
        assertThat(verify.exitCode()).as(verify.err()).isZero();
        java.util.regex.Matcher html = Pattern.compile("audit report: +(\\S+) \\((harmful|benign)\\)").matcher(run.out());
        int reports = 0;
        while (html.find()) {
            assertThat(Files.readString(Path.of(html.group(1)))).contains("id='cosine-chart'").contains(MODULES.get(0));
            reports++;
        }
        assertThat(reports).as(run.out()).isEqualTo(2);
    }

    private static void checkAdapters(String out, String fineTune, Path dir) throws Exception {
        Path projected = artifact(out, fineTune + " projected", dir);
        Path raw = artifact(out, fineTune + " raw", dir);
        for (Path adapter : List.of(projected, raw)) {
            assertThat(adapter.resolve("adapter_config.json")).isRegularFile();
            assertThat(adapter.resolve("adapter_model.safetensors")).isRegularFile();
            PeftAdapter peft = PeftAdapter.read(adapter);
            assertThat(peft.modules().keySet()).containsExactlyElementsOf(MODULES);
            assertThat(peft.config().r()).isEqualTo(8);
            assertThat(ServingConformance.check(adapter, ServingConformance.Loader.PEFT, null, 16)).as(adapter.toString()).isEmpty();
            assertThat(ServingConformance.check(adapter, ServingConformance.Loader.VLLM, null, 16)).as(adapter.toString()).isEmpty();
            // the trainer fine-tuned the aligned checkpoint (stage.train.from=aligned): its URI, not a path of the training node
            assertThat(peft.config().baseModelPath()).startsWith("file:").endsWith("/family/aligned");
        }
        JsonNode report = new ObjectMapper().readTree(projected.resolve(ProjectionReport.FILE).toFile());
        List<String> reported = new ArrayList<>();
        report.get("modules").forEach(m -> reported.add(m.get("name").asText()));
        assertThat(reported).containsExactlyElementsOf(MODULES);
        assertThat(out).contains(fineTune + " fine-tune: " + report.get("projectedCount").asInt() + " of 4 modules projected");
    }

    @Test
    void refusesAWorkDirItDidNotCreateThatHoldsFiles(@TempDir Path dir) throws Exception {
        Path mine = Files.writeString(dir.resolve("notes.txt"), "keep me");

        CliRun run = CliRun.of("demo", "--work-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("safelora: error: --work-dir " + dir.toAbsolutePath().normalize()
                + " is not empty and not a demo work dir; give a new or empty directory");
        assertThat(mine).hasContent("keep me");
        try (var entries = Files.list(dir)) {
            assertThat(entries).containsExactly(mine);
        }
    }

    @Test
    void aTimeoutThatIsNotPositiveIsAUsageError(@TempDir Path dir) {
        CliRun run = CliRun.of("demo", "--work-dir", dir.resolve("new").toString(), "--timeout", "0");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--timeout must be > 0 seconds, got 0");
        assertThat(dir.resolve("new")).doesNotExist();
    }

    @Test
    void epochsBelowOneAreAUsageError(@TempDir Path dir) {
        CliRun run = CliRun.of("demo", "--work-dir", dir.resolve("new").toString(), "--epochs", "0");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--epochs must be >= 1, got 0");
        assertThat(dir.resolve("new")).doesNotExist();
    }

    /** The path the summary prints for {@code what}, relative to the work dir. */
    private static Path artifact(String out, String what, Path dir) {
        Matcher m = Pattern.compile("(?m)^ +" + Pattern.quote(what) + " +(\\S+)$").matcher(out);
        assertThat(m.find()).as("summary line for " + what + " in:\n" + out).isTrue();
        Path p = dir.resolve(m.group(1));
        assertThat(Files.isDirectory(p)).as(p.toString()).isTrue();
        return p;
    }
}
