package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.adapter.ServingConformance;
import dev.safelora.tensor.DType;
import dev.safelora.testsupport.TinyCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlignProjectCommandTest {

    @TempDir
    Path dir;

    Path base;
    Path aligned;
    Path adapter;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @BeforeEach
    void files() {
        base = dir.resolve("base");
        aligned = dir.resolve("aligned");
        adapter = dir.resolve("adapter");
        TinyCheckpoints.writePair(base, aligned, 4, 21, DType.BF16);
        TinyCheckpoints.adapter(4, List.of("self_attn.q_proj", "self_attn.v_proj"), 4, 22, false).write(adapter);
    }

    @Test
    void alignThenProjectWritesAPeftAdapterAndTheReport() throws IOException {
        CliRun align = run("align", "--base", base.toString(), "--aligned", aligned.toString(), "--modules", "q_proj,v_proj",
                "--out", dir.resolve("alignment").toString());
        assertThat(align.exitCode()).as(align.err()).isZero();
        assertThat(align.out()).contains("aligned 8 modules (0 excluded)");

        Path out = dir.resolve("projected");
        CliRun project = run("project", "--adapter", adapter.toString(), "--alignment", dir.resolve("alignment").toString(),
                "--out", out.toString(), "--threshold", "0.3");
        assertThat(project.exitCode()).as(project.err()).isZero();
        assertThat(project.out()).contains("of 8 modules (threshold 0.3), Pdst");

        JsonNode report = new ObjectMapper().readTree(out.resolve("safelora_report.json").toFile());
        assertThat(report.get("mode").asText()).isEqualTo("threshold");
        assertThat(report.get("threshold").asDouble()).isEqualTo(0.3);
        assertThat(report.get("pdst").asDouble()).isBetween(0.0, 1.0);
        JsonNode modules = report.get("modules");
        assertThat(modules).hasSize(8);
        List<String> names = new ArrayList<>();
        modules.forEach(m -> {
            names.add(m.get("name").asText());
            assertThat(m.get("projected").asBoolean()).isEqualTo(m.get("cosine").asDouble() <= 0.3);
            assertThat(m.get("alignmentNorm").asDouble()).isPositive();
            assertThat(m.get("layer").asInt()).isBetween(0, 3);
        });
        assertThat(names.get(0)).isEqualTo("model.layers.0.self_attn.q_proj");

        PeftAdapter original = PeftAdapter.read(adapter);
        PeftAdapter projected = PeftAdapter.read(out);
        assertThat(projected.config()).isEqualTo(original.config());
        for (JsonNode m : modules) {
            String name = m.get("name").asText();
            boolean same = java.util.Arrays.equals(projected.modules().get(name).b(), original.modules().get(name).b());
            assertThat(same).as(name).isEqualTo(!m.get("projected").asBoolean());
            assertThat(projected.modules().get(name).a()).containsExactly(original.modules().get(name).a());
        }

        // the same projection computed straight from the checkpoints
        Path out2 = dir.resolve("projected2");
        CliRun direct = run("project", "--adapter", adapter.toString(), "--base", base.toString(), "--aligned", aligned.toString(),
                "--out", out2.toString(), "--threshold", "0.3");
        assertThat(direct.exitCode()).as(direct.err()).isZero();
        assertThat(Files.readString(out2.resolve("safelora_report.json"))).isEqualTo(Files.readString(out.resolve("safelora_report.json")));
    }

    @Test
    void projectedAdaptersExportForVllmAndPeftAndPassBothLoadersRules() throws IOException {
        Path projected = dir.resolve("projected");
        assertThat(run("project", "--adapter", adapter.toString(), "--base", base.toString(), "--aligned", aligned.toString(),
                "--out", projected.toString(), "--mode", "top-k", "--top-k", "3").exitCode()).isZero();
        assertThat(ServingConformance.check(projected, ServingConformance.Loader.PEFT, null, 16)).isEmpty();
        assertThat(ServingConformance.check(projected, ServingConformance.Loader.VLLM, null, 16)).isEmpty();

        Path vllm = dir.resolve("vllm");
        CliRun export = run("export", "--adapter", projected.toString(), "--out", vllm.toString(), "--for", "vllm",
                "--base-model", "org/tiny-base");
        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(export.out()).contains("exported 8 modules for vLLM at rank 4").contains("--max-lora-rank 8");
        assertThat(ServingConformance.check(vllm, ServingConformance.Loader.VLLM, null, 16)).isEmpty();
        assertThat(PeftAdapter.read(vllm).config().baseModelPath()).isEqualTo("org/tiny-base");

        Path peft = dir.resolve("peft");
        assertThat(run("export", "--adapter", projected.toString(), "--out", peft.toString(), "--for", "peft").exitCode()).isZero();
        assertThat(ServingConformance.check(peft, ServingConformance.Loader.PEFT, null, 16)).isEmpty();

        CliRun tooSmall = run("export", "--adapter", projected.toString(), "--out", dir.resolve("x").toString(), "--for", "vllm",
                "--max-lora-rank", "1");
        assertThat(tooSmall.exitCode()).isNotZero();
        assertThat(tooSmall.err().strip()).contains("serve it with vllm --max-lora-rank 8").doesNotContain("\n");
        CliRun badTarget = run("export", "--adapter", projected.toString(), "--out", dir.resolve("y").toString(), "--for", "tgi");
        assertThat(badTarget.exitCode()).isEqualTo(2);
        assertThat(badTarget.err()).contains("vllm, peft");
    }

    @Test
    void topKAndExplicitModes() throws IOException {
        Path out = dir.resolve("topk");
        CliRun topK = run("project", "--adapter", adapter.toString(), "--base", base.toString(), "--aligned", aligned.toString(),
                "--out", out.toString(), "--mode", "top-k", "--top-k", "3");
        assertThat(topK.exitCode()).as(topK.err()).isZero();
        JsonNode report = new ObjectMapper().readTree(out.resolve("safelora_report.json").toFile());
        assertThat(report.get("mode").asText()).isEqualTo("top-k");
        assertThat(report.get("projectedCount").asInt()).isEqualTo(3);

        Path ex = dir.resolve("explicit");
        CliRun explicit = run("project", "--adapter", adapter.toString(), "--base", base.toString(), "--aligned", aligned.toString(),
                "--out", ex.toString(), "--mode", "explicit", "--layers", "1,3");
        assertThat(explicit.exitCode()).as(explicit.err()).isZero();
        JsonNode r2 = new ObjectMapper().readTree(ex.resolve("safelora_report.json").toFile());
        List<String> projected = new ArrayList<>();
        r2.get("modules").forEach(m -> {
            if (m.get("projected").asBoolean()) {
                projected.add(m.get("name").asText());
            }
        });
        assertThat(projected).containsExactly("model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj",
                "model.layers.3.self_attn.q_proj", "model.layers.3.self_attn.v_proj");
    }

    @Test
    void subspaceExtensionMode() throws IOException {
        Path out = dir.resolve("subspace");
        CliRun sub = run("project", "--adapter", adapter.toString(), "--base", base.toString(), "--aligned", aligned.toString(),
                "--out", out.toString(), "--mode", "subspace", "--rank", "2", "--threshold", "1");
        assertThat(sub.exitCode()).as(sub.err()).isZero();
        JsonNode report = new ObjectMapper().readTree(out.resolve("safelora_report.json").toFile());
        assertThat(report.get("mode").asText()).as("--mode subspace is threshold selection").isEqualTo("threshold");
        assertThat(report.get("remedy").asText()).isEqualTo("subspace");
        assertThat(report.get("rank").asInt()).isEqualTo(2);
        assertThat(report.get("projectedCount").asInt()).isEqualTo(8);
        CliRun rankForZero = run("project", "--adapter", adapter.toString(), "--alignment", "x", "--out", "y", "--remedy", "zero",
                "--rank", "2");
        assertThat(rankForZero.exitCode()).isEqualTo(2);
        assertThat(rankForZero.err()).contains("--rank applies to --remedy subspace only");
        for (String tau : List.of("2", "-1.5", "NaN")) {
            CliRun outOfRange = run("project", "--adapter", adapter.toString(), "--alignment", "x", "--out", "y", "--threshold", tau);
            assertThat(outOfRange.exitCode()).as(tau).isEqualTo(2);
            assertThat(outOfRange.err()).contains("--threshold is a cosine, from -1 to 1; got ");
        }
    }

    @Test
    void everyRemedyProjectsTheSameModulesAndSaysWhichItApplied() throws IOException {
        List<List<String>> selected = new ArrayList<>();
        for (String remedy : List.of("project", "subspace", "zero", "shrink")) {
            Path out = dir.resolve("remedy-" + remedy);
            CliRun r = run("project", "--adapter", adapter.toString(), "--base", base.toString(), "--aligned", aligned.toString(),
                    "--out", out.toString(), "--mode", "top-k", "--top-k", "3", "--remedy", remedy);
            assertThat(r.exitCode()).as(r.err()).isZero();
            JsonNode report = new ObjectMapper().readTree(out.resolve("safelora_report.json").toFile());
            assertThat(report.get("remedy").asText()).isEqualTo(remedy);
            List<String> names = new ArrayList<>();
            report.get("modules").forEach(m -> {
                assertThat(m.has("signedScore")).isTrue();
                if (m.get("projected").asBoolean()) {
                    names.add(m.get("name").asText());
                    if (remedy.equals("zero")) {
                        assertThat(m.get("normRatio").asDouble()).isZero();
                    }
                }
            });
            selected.add(names);
        }
        assertThat(selected).allSatisfy(s -> assertThat(s).hasSize(3).isEqualTo(selected.get(0)));
        CliRun bad = run("project", "--adapter", adapter.toString(), "--alignment", "x", "--out", "y", "--remedy", "scale");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("'scale' is not one of project, subspace, zero, shrink");
    }

    @Test
    void usageErrorsExitTwoWithOneLine() {
        CliRun noK = run("project", "--adapter", adapter.toString(), "--alignment", "x", "--out", "y", "--mode", "top-k");
        assertThat(noK.exitCode()).isEqualTo(2);
        assertThat(noK.err().strip()).startsWith("safelora: error: --mode top-k needs --top-k K").doesNotContain("\n");
        CliRun listForTopK = run("project", "--adapter", adapter.toString(), "--alignment", "x", "--out", "y", "--mode", "top-k",
                "--top-k", "2", "--layers", "1,3");
        assertThat(listForTopK.exitCode()).as("--layers is a list of layers, never a count").isEqualTo(2);
        assertThat(listForTopK.err()).contains("--layers and --modules apply to --mode explicit only");
        CliRun countForThreshold = run("project", "--adapter", adapter.toString(), "--alignment", "x", "--out", "y", "--top-k", "2");
        assertThat(countForThreshold.exitCode()).isEqualTo(2);
        assertThat(countForThreshold.err()).contains("--top-k applies to --mode top-k only");
        CliRun badMode = run("project", "--adapter", adapter.toString(), "--alignment", "x", "--out", "y", "--mode", "number");
        assertThat(badMode.exitCode()).isEqualTo(2);
        assertThat(badMode.err()).contains("'number' is not one of threshold, top-k, explicit, subspace, auto");
        CliRun both = run("project", "--adapter", adapter.toString(), "--alignment", "x", "--base", "b", "--aligned", "a", "--out", "y");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).startsWith("safelora: error: --alignment=DIR and ").doesNotContain("Error:");
        CliRun neither = run("project", "--adapter", adapter.toString(), "--out", "y");
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.err()).startsWith("safelora: error: Missing required argument");
        CliRun dtype = run("align", "--base", "b", "--aligned", "a", "--modules", "q_proj", "--out", "o", "--dtype", "i8");
        assertThat(dtype.exitCode()).isEqualTo(2);
        assertThat(dtype.err()).contains("--dtype must be f32, f16 or bf16");
        // a value that is no dtype at all is answered with the dtypes --dtype takes, not every tensor dtype
        CliRun notADtype = run("align", "--base", "b", "--aligned", "a", "--modules", "q_proj", "--out", "o", "--dtype", "f8");
        assertThat(notADtype.exitCode()).isEqualTo(2);
        assertThat(notADtype.err()).contains("'f8' is not one of f32, f16, bf16 (see 'safelora align --help')");
        CliRun sameDir = run("project", "--adapter", adapter.toString(), "--alignment", "x", "--out", adapter.toString());
        assertThat(sameDir.exitCode()).isEqualTo(2);
    }

    @Test
    void badInputExitsOneWithOneLineNamingTheProblem() throws IOException {
        CliRun missing = run("project", "--adapter", adapter.toString(), "--base", base.toString(), "--aligned", dir.resolve("nowhere").toString(),
                "--out", dir.resolve("o").toString());
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err().strip()).startsWith("safelora: error: ").contains("no such checkpoint directory").doesNotContain("\n");

        Path pickle = dir.resolve("pickle");
        Files.createDirectories(pickle);
        Files.write(pickle.resolve("pytorch_model.bin"), new byte[] {1});
        CliRun refused = run("align", "--base", pickle.toString(), "--aligned", aligned.toString(), "--modules", "q_proj", "--out", dir.resolve("o").toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("pickle");

        CliRun wrongModules = run("align", "--base", base.toString(), "--aligned", aligned.toString(), "--modules", "q_proj",
                "--out", dir.resolve("qonly").toString());
        assertThat(wrongModules.exitCode()).isZero();
        CliRun unaligned = run("project", "--adapter", adapter.toString(), "--alignment", dir.resolve("qonly").toString(),
                "--out", dir.resolve("o2").toString());
        assertThat(unaligned.exitCode()).isEqualTo(1);
        assertThat(unaligned.err()).contains("4 adapter module(s) have no alignment").contains("model.layers.3.self_attn.v_proj");
        assertThat(dir.resolve("o2")).doesNotExist();
    }
}
