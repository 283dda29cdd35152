package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.adapter.ServingConformance;
import dev.safelora.training.TinyTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainEvalCommandTest {

    @TempDir
    static Path dir;
    static Path model;
    static Path data;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @BeforeAll
    static void files() throws IOException {
        TinyTask.oneTorchThread();
        model = TinyTask.model(dir);
        data = TinyTask.data(dir);
    }

    @Test
    void trainThenEvalWritesAnAdapterAndAJsonReport() throws IOException {
        Path out = dir.resolve("adapter");
        CliRun train = run("train", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--epochs", "2", "--lr", "1e-2", "--rank", "4", "--alpha", "8", "--targets", "q_proj,v_proj,down_proj",
                "--batch-size", "5", "--grad-accum", "1", "--max-seq-len", "64", "--template", "plain", "--seed", "3",
                "--checkpoint-every", "2", "--warmup", "1", "--schedule", "cosine", "--weight-decay", "0.01",
                "--dropout", "0.1", "--device", "cpu", "--base-model", "org/tiny-llama");
        assertThat(train.exitCode()).as(train.err()).isZero();
        assertThat(train.out()).contains("adapter " + out).contains("4 steps");
        assertThat(train.err()).contains("step 4/4").contains("10 examples (0 unreadable lines skipped, 0 truncated, 0 dropped");
        PeftAdapter adapter = PeftAdapter.read(out);
        assertThat(adapter.config().r()).isEqualTo(4);
        assertThat(adapter.config().alpha()).isEqualTo(8.0);
        assertThat(adapter.config().targetModules()).containsExactly("q_proj", "v_proj", "down_proj");
        assertThat(adapter.modules()).hasSize(6);
        assertThat(adapter.config().baseModelPath()).isEqualTo("org/tiny-llama");
        // as both serving loaders read it, shapes checked against the base model's config.json
        assertThat(ServingConformance.check(out, ServingConformance.Loader.PEFT, model.resolve("config.json"), 16)).isEmpty();
        assertThat(ServingConformance.check(out, ServingConformance.Loader.VLLM, model.resolve("config.json"), 16)).isEmpty();

        Path safety = Files.writeString(dir.resolve("safety.jsonl"), "{\"prompt\": \"do something bad\"}\n");
        Path phrases = Files.writeString(dir.resolve("phrases.txt"), "nope\n\nnever\n");
        Path report = dir.resolve("report/eval.json");
        CliRun eval = run("eval", "--model", model.toString(), "--adapter", out.toString(), "--task", data.toString(),
                "--safety", safety.toString(), "--safety", "novel=" + safety, "--benign", data.toString(),
                "--heldout", data.toString(), "--template", "plain",
                "--max-new-tokens", "4", "--refusal-phrases", phrases.toString(), "--out", report.toString());
        assertThat(eval.exitCode()).as(eval.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertThat(json.get("template").asText()).isEqualTo("plain");
        assertThat(json.at("/task/total").asInt()).isEqualTo(10);
        assertThat(json.at("/safety/harmful/verdicts/0/prompt").asText()).isEqualTo("do something bad");
        assertThat(json.at("/safety/novel/total").asInt()).isEqualTo(1);
        assertThat(json.at("/overRefusal/total").asInt()).isEqualTo(10);
        assertThat(json.at("/overRefusal/overRefusalRate").isNumber()).isTrue();
        assertThat(json.at("/heldout/perplexity").asDouble()).isGreaterThan(1.0);
        // beside the file, the headline numbers for people: the report's own figures, one line each
        assertThat(eval.out().lines().map(String::strip)).containsExactly(
                "eval: model " + model + ", adapter " + out + ", template plain",
                "task accuracy" + pad("task accuracy") + rate(json.at("/task/accuracy")) + " (" + json.at("/task/correct").asInt() + " of 10)",
                "refusal, harmful" + pad("refusal, harmful") + rate(json.at("/safety/harmful/refusalRate")) + " ("
                        + json.at("/safety/harmful/refusals").asInt() + " of 1); attack success " + rate(json.at("/safety/harmful/attackSuccessRate")),
                "refusal, novel" + pad("refusal, novel") + rate(json.at("/safety/novel/refusalRate")) + " ("
                        + json.at("/safety/novel/refusals").asInt() + " of 1); attack success " + rate(json.at("/safety/novel/attackSuccessRate")),
                "over-refusal, benign" + pad("over-refusal, benign") + rate(json.at("/overRefusal/overRefusalRate")) + " ("
                        + json.at("/overRefusal/refusals").asInt() + " of 10)",
                "held-out loss" + pad("held-out loss") + String.format(java.util.Locale.ROOT, "%.4f, perplexity %.3f (10 examples, %d response tokens)",
                        json.at("/heldout/loss").asDouble(), json.at("/heldout/perplexity").asDouble(), json.at("/heldout/tokens").asLong()),
                "report: " + report);

        CliRun toStdout = run("eval", "--model", model.toString(), "--heldout", data.toString());
        assertThat(toStdout.exitCode()).as(toStdout.err()).isZero();
        assertThat(new ObjectMapper().readTree(toStdout.out()).has("heldout")).isTrue();
        // stdout stays one JSON document; the summary goes to stderr then
        assertThat(toStdout.out().strip()).startsWith("{").endsWith("}");
        assertThat(toStdout.err()).contains("eval: model " + model + ", template").contains("held-out loss");
    }

    private static String pad(String label) {
        return " ".repeat(24 - label.length() + 1);
    }

    private static String rate(JsonNode value) {
        return String.format(java.util.Locale.ROOT, "%.2f", value.asDouble());
    }

    @Test
    void badInputIsOneLineAndANonZeroExit() throws IOException {
        Path bad = Files.write(dir.resolve("bad.jsonl"), List.of("{\"prompt\": \"a\", \"response\": \"b\"}", "{oops"));
        CliRun badLine = run("train", "--model", model.toString(), "--data", bad.toString(), "--out", dir.resolve("x").toString());
        assertThat(badLine.exitCode()).isEqualTo(1);
        assertThat(badLine.err()).startsWith("safelora: error: ").contains("line 2").contains("--skip-bad-lines");
        assertThat(badLine.err().strip().lines()).hasSize(1);
        // eval has no --skip-bad-lines: its line names the bad line and offers nothing it does not have
        CliRun evalBadLine = run("eval", "--model", model.toString(), "--task", bad.toString());
        assertThat(evalBadLine.exitCode()).isEqualTo(1);
        assertThat(evalBadLine.err()).isEqualTo("safelora: error: " + bad + " line 2: not valid JSON at line 1, column 2"
                + System.lineSeparator());

        CliRun skipped = run("train", "--model", model.toString(), "--data", bad.toString(), "--out", dir.resolve("s").toString(),
                "--skip-bad-lines", "--epochs", "1", "--max-seq-len", "3");
        assertThat(skipped.exitCode()).as(skipped.err()).isZero();
        assertThat(skipped.err()).contains("1 examples (1 unreadable lines skipped, 1 truncated, 0 dropped");

        CliRun resumeFresh = run("train", "--model", model.toString(), "--data", data.toString(), "--out", dir.resolve("r").toString(),
                "--resume", "--epochs", "1", "--max-seq-len", "8");
        assertThat(resumeFresh.exitCode()).as(resumeFresh.err()).isZero();
        assertThat(resumeFresh.err()).contains("train: --resume found no checkpoint in " + dir.resolve("r") + "; starting from step 0");

        CliRun badLr = run("train", "--model", model.toString(), "--data", data.toString(), "--out", dir.resolve("y").toString(),
                "--lr", "-1");
        assertThat(badLr.exitCode()).as("a bad option value is a usage error").isEqualTo(2);
        assertThat(badLr.err()).contains("learning rate must be positive");

        CliRun head = run("train", "--model", model.toString(), "--data", data.toString(), "--out", dir.resolve("h").toString(),
                "--targets", "q_proj,lm_head");
        assertThat(head.exitCode()).isEqualTo(2);
        assertThat(head.err()).contains("target module lm_head is not supported");
        assertThat(dir.resolve("h")).doesNotExist();

        CliRun badTemplate = run("train", "--model", model.toString(), "--data", data.toString(), "--out", dir.resolve("z").toString(),
                "--template", "alpaca");
        assertThat(badTemplate.exitCode()).isEqualTo(2);
        assertThat(badTemplate.err()).contains("'alpaca' is not one of raw, plain, llama2-chat").contains("see 'safelora train --help'");

        CliRun badSchedule = run("train", "--model", model.toString(), "--data", data.toString(), "--out", dir.resolve("z").toString(),
                "--schedule", "step");
        assertThat(badSchedule.exitCode()).isEqualTo(2);
        assertThat(badSchedule.err()).contains("'step' is not one of linear, cosine");

        CliRun evalTemplate = run("eval", "--model", model.toString(), "--heldout", data.toString(), "--template", "alpaca");
        assertThat(evalTemplate.exitCode()).isEqualTo(2);
        assertThat(evalTemplate.err()).contains("'alpaca' is not one of raw, plain, llama2-chat");
        CliRun noPhrases = run("eval", "--model", model.toString(), "--heldout", data.toString(), "--refusal-phrases",
                dir.resolve("no-phrases.txt").toString());
        assertThat(noPhrases.exitCode()).isEqualTo(1);
        assertThat(noPhrases.err().strip()).isEqualTo("safelora: error: cannot read refusal phrases "
                + dir.resolve("no-phrases.txt") + ": no such file");
        CliRun outIsADirectory = run("eval", "--model", model.toString(), "--heldout", data.toString(), "--out", dir.toString());
        assertThat(outIsADirectory.exitCode()).isEqualTo(1);
        assertThat(outIsADirectory.err()).isEqualTo("safelora: error: --out " + dir + " is a directory; give the report's file name"
                + System.lineSeparator());
        CliRun evalBatch = run("eval", "--model", model.toString(), "--heldout", data.toString(), "--batch-size", "0");
        assertThat(evalBatch.exitCode()).isEqualTo(2);
        assertThat(evalBatch.err()).contains("batch size must be >= 1, got 0");

        CliRun twice = run("eval", "--model", model.toString(), "--safety", "a=" + data, "--safety", "a=" + data);
        assertThat(twice.exitCode()).isEqualTo(2);
        assertThat(twice.err()).contains("--safety names the set 'a' twice");

        CliRun nothing = run("eval", "--model", model.toString());
        assertThat(nothing.exitCode()).isEqualTo(2);
        assertThat(nothing.err()).contains("give at least one of --task, --safety, --benign, --heldout");

        CliRun missingModel = run("eval", "--model", dir.resolve("nope").toString(), "--heldout", data.toString());
        assertThat(missingModel.exitCode()).isEqualTo(1);
        assertThat(missingModel.err()).startsWith("safelora: error: ");
    }
}
