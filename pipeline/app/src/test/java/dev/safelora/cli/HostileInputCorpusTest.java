package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.model.TinyModels;
import dev.safelora.tensor.SafetensorsFile;
import dev.safelora.tensor.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile inputs for the command line, generated here (no committed binaries). Each case names its input, the
 * command that receives it and the expected outcome: exit status and a substring of the one error line, strings
 * that must not appear (file contents), nothing written anywhere (a refused command leaves no output behind),
 * and an end within a time bound (a FIFO or a catastrophic pattern must not hang it).
 */
class HostileInputCorpusTest {

    @TempDir
    static Path tmp;

    static Path model;
    static Path nanModel;
    static Path passwd;

    /** One hostile input: its name, the command line built from a fresh case directory, what must come out. */
    record Case(String name, Function<Path, String[]> command, int exit, String message, List<String> forbidden) {
    }

    @BeforeAll
    static void inputs() throws IOException {
        org.bytedeco.pytorch.global.torch.set_num_threads(1);
        model = tmp.resolve("model");
        TinyModels.write(model, TinyModels.Shape.llama().withSize(32, 64, 4, 4), 3);
        nanModel = tmp.resolve("nan-model");
        Files.createDirectories(nanModel);
        Files.copy(model.resolve("config.json"), nanModel.resolve("config.json"));
        poisonedCopy(model.resolve("model.safetensors"), nanModel.resolve("model.safetensors"), Float.NaN);
        passwd = Files.writeString(tmp.resolve("passwd"), "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/sbin/nologin\n");
    }

    /** A copy of a safetensors file with one value of layer 0's q_proj weight replaced. */
    static void poisonedCopy(Path from, Path to, float poison) {
        try (SafetensorsFile f = SafetensorsFile.open(from)) {
            SafetensorsWriter w = new SafetensorsWriter();
            List<String> names = f.names();
            for (String name : names) {
                float[] values = f.floats(name);
                if (name.contains("layers.0.self_attn.q_proj")) {
                    values[values.length / 2] = poison;
                }
                w.addFloats(name, f.info(name).shape(), values);
            }
            w.write(to);
        }
    }

    static Path adapter(Path dir, String configJson, float poison) {
        try {
            List<LoraWeights> weights = new ArrayList<>();
            float[] a = new float[2 * 32];
            float[] b = new float[32 * 2];
            for (int i = 0; i < a.length; i++) {
                a[i] = 0.01f * (i % 7);
                b[i] = -0.02f * (i % 5);
            }
            a[3] = poison;
            weights.add(new LoraWeights("model.layers.0.self_attn.q_proj", 2, 32, 32, a, b));
            Path out = dir.resolve("adapter");
            PeftAdapter.of(new LoraConfig(2, 4, false, List.of("q_proj"), 0, null, false), weights).write(out);
            if (configJson != null) {
                Files.writeString(out.resolve(PeftAdapter.CONFIG_FILE), configJson);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String[] project(Path adapterDir, Path out) {
        return new String[] {"project", "--adapter", adapterDir.toString(), "--base", model.toString(), "--aligned", model.toString(),
                "--out", out.toString()};
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("train --data <a passwd file>", d -> new String[] {"train", "--model", model.toString(), "--data",
                passwd.toString(), "--out", d.resolve("out").toString()}, 1, "line 1: not valid JSON at line 1", List.of("root", "bash")));
        if (Files.isReadable(Path.of("/etc/passwd"))) {
            cases.add(new Case("train --data /etc/passwd", d -> new String[] {"train", "--model", model.toString(), "--data",
                    "/etc/passwd", "--out", d.resolve("out").toString()}, 1, "not valid JSON", List.of("root", "Unrecognized token")));
        }
        cases.add(new Case("logits --model <NaN in a weight>", d -> new String[] {"logits", "--model", nanModel.toString(), "--ids", "1,2"},
                1, "NaN or infinity", List.of()));
        cases.add(new Case("project --adapter <NaN in lora_A>", d -> project(adapter(d, null, Float.NaN), d.resolve("out")),
                1, "lora_A.weight\" holds NaN or infinity", List.of()));
        cases.add(new Case("project --adapter <+Inf in lora_A>", d -> project(adapter(d, null, Float.POSITIVE_INFINITY), d.resolve("out")),
                1, "holds NaN or infinity", List.of()));
        cases.add(new Case("logits --adapter <lora_alpha 1e308>", d -> new String[] {"logits", "--model", model.toString(), "--adapter",
                adapter(d, "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":1e308,\"target_modules\":[\"q_proj\"]}", 0).toString(),
                "--ids", "1,2"}, 1, "lora_alpha must be a positive number at most", List.of()));
        cases.add(new Case("project --adapter <rank_pattern (.*.){16}z>", d -> project(adapter(d,
                "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":4,\"target_modules\":[\"q_proj\"],\"rank_pattern\":{\"(.*.){16}z\":8}}", 0),
                d.resolve("out")), 1, "catastrophic backtracking", List.of()));
        cases.add(new Case("project --adapter <lora_alpha \"abc\">", d -> project(adapter(d,
                "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":\"abc\",\"target_modules\":[\"q_proj\"]}", 0), d.resolve("out")),
                1, "\"lora_alpha\" must be a number", List.of()));
        cases.add(new Case("project --adapter <r 8.9>", d -> project(adapter(d,
                "{\"peft_type\":\"LORA\",\"r\":8.9,\"target_modules\":[\"q_proj\"]}", 0), d.resolve("out")),
                1, "\"r\" must be a whole number", List.of()));
        cases.add(new Case("project --adapter <duplicate \"r\">", d -> project(adapter(d,
                "{\"peft_type\":\"LORA\",\"r\":2,\"r\":4,\"target_modules\":[\"q_proj\"]}", 0), d.resolve("out")),
                1, "duplicate key", List.of()));
        cases.add(new Case("project --out <symlink to the input adapter>", d -> {
            Path in = adapter(d, null, 0);
            try {
                return project(in, Files.createSymbolicLink(d.resolve("link"), in));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, OneLineErrors.USAGE, "--out must differ from --adapter", List.of()));
        cases.add(new Case("logits --model <model.safetensors is a directory>", d -> {
            Path m = d.resolve("m");
            try {
                Files.createDirectories(m.resolve("model.safetensors"));
                Files.copy(model.resolve("config.json"), m.resolve("config.json"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new String[] {"logits", "--model", m.toString(), "--ids", "1"};
        }, 1, "not a regular file (a directory)", List.of()));
        cases.add(new Case("logits --model <model.safetensors is a FIFO>", d -> {
            Path m = d.resolve("m");
            try {
                Files.createDirectories(m);
                Files.copy(model.resolve("config.json"), m.resolve("config.json"));
                Process p = new ProcessBuilder("mkfifo", m.resolve("model.safetensors").toString()).start();
                Assumptions.assumeTrue(p.waitFor() == 0, "mkfifo is available");
            } catch (IOException | InterruptedException e) {
                Assumptions.abort("mkfifo is not available: " + e);
            }
            return new String[] {"logits", "--model", m.toString(), "--ids", "1"};
        }, 1, "not a regular file (a FIFO, socket or device)", List.of()));
        if (Files.exists(Path.of("/dev/zero"))) {
            cases.add(new Case("submit training --file /dev/zero", d -> new String[] {"submit", "training", "--file", "/dev/zero", "--dry-run"},
                    1, "is larger than 1048576 bytes", List.of()));
        }
        // JSON read from user files: one line naming the file and the position, never the file's bytes
        List<String> passwdBytes = List.of("root", "bash", "nologin", "Unrecognized token");
        cases.add(new Case("submit training --file <a passwd file>", d -> new String[] {"submit", "training", "--file", passwd.toString(),
                "--dry-run"}, 1, "malformed JSON in training request " + passwd + " at line 1, column 5: an unrecognized token", passwdBytes));
        cases.add(new Case("project --adapter <adapter_config.json holds a passwd file>", d -> project(adapter(d,
                "root:x:0:0:root:/root:/bin/bash\n", 0), d.resolve("out")), 1, "adapter_config.json: not valid JSON at line 1", passwdBytes));
        cases.add(new Case("logits --model <config.json holds a passwd file>", d -> {
            Path m = d.resolve("m");
            try {
                Files.createDirectories(m);
                Files.copy(model.resolve("model.safetensors"), m.resolve("model.safetensors"));
                Files.copy(passwd, m.resolve("config.json"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new String[] {"logits", "--model", m.toString(), "--ids", "1"};
        }, 1, "config.json: not valid JSON at line 1", passwdBytes));
        cases.add(new Case("eval --safety <a passwd file>", d -> new String[] {"eval", "--model", model.toString(), "--safety",
                passwd.toString()}, 1, "line 1: not valid JSON at line 1", passwdBytes));
        cases.add(new Case("train --data <a bare word in a JSONL line>", d -> {
            try {
                Path data = Files.writeString(d.resolve("data.jsonl"), "{\"prompt\": \"hi\", \"response\": hunter2}\n");
                return new String[] {"train", "--model", model.toString(), "--data", data.toString(), "--out", d.resolve("out").toString()};
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, 1, "line 1: not valid JSON at line 1", List.of("hunter2")));
        cases.add(new Case("align --base <NaN weights> leaves no --out", d -> new String[] {"align", "--base", nanModel.toString(),
                "--aligned", model.toString(), "--modules", "q_proj,v_proj,down_proj", "--out", d.resolve("out").toString()},
                1, "NaN", List.of()));
        // a file where a directory belongs: the path and what is wrong with it, not the exception's bare path
        cases.add(new Case("logits --model <a passwd file>", d -> new String[] {"logits", "--model", passwd.toString(), "--ids", "1"},
                1, "model directory " + passwd + " is not a directory", passwdBytes));
        cases.add(new Case("toy-family --out <a passwd file>", d -> new String[] {"toy-family", "--out", passwd.toString()},
                1, passwd + ": not a directory", passwdBytes));
        cases.add(new Case("dev-cluster --data-dir <a passwd file>", d -> new String[] {"dev-cluster", "--data-dir", passwd.toString(),
                "--kafka-port", "0", "--registry-port", "0"}, 1, "--data-dir " + passwd + " is not a directory", passwdBytes));
        cases.add(new Case("demo --work-dir <a passwd file>", d -> new String[] {"demo", "--work-dir", passwd.toString()},
                1, "--work-dir " + passwd + " is not a directory", passwdBytes));
        cases.add(new Case("train --out <a passwd file>", d -> {
            try {
                return new String[] {"train", "--model", model.toString(), "--data", dev.safelora.training.TinyTask.data(d).toString(),
                    "--out", passwd.toString()};
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, 1, "cannot create output directory " + passwd + ": exists and is not a directory", passwdBytes));
        cases.add(new Case("logits --out <a directory>", d -> new String[] {"logits", "--model", model.toString(), "--ids", "1",
                "--out", d.toString()}, 1, " is a directory; give the file name to write", List.of(".tmp")));
        cases.add(new Case("audit verify --jdbc-url <a passwd file>", d -> new String[] {"audit", "verify", "--jdbc-url",
                "jdbc:sqlite:" + passwd}, 1, "cannot open the audit database jdbc:sqlite:" + passwd + ": file is not a database",
                List.of("root", "bash", "SQLITE_")));
        return cases;
    }

    @TestFactory
    Stream<DynamicTest> everyHostileInputIsRefusedWithOneLineQuicklyWritingNothing() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path caseDir = Files.createDirectories(tmp.resolve("case-" + Integer.toHexString(c.name().hashCode())));
            String[] args = c.command().apply(caseDir);
            Set<Path> before = files(tmp);
            CliRun run = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> CliRun.of(args), c.name() + " ran too long");
            assertThat(run.exitCode()).as(c.name() + ": " + run.err()).isEqualTo(c.exit());
            String errorLine = run.err().lines().filter(l -> l.startsWith("safelora: error: ")).findFirst().orElse("");
            assertThat(errorLine).as(c.name()).contains(c.message());
            assertThat(run.err().lines().filter(l -> l.startsWith("safelora: error: ")).count()).as(c.name()).isEqualTo(1);
            for (String forbidden : c.forbidden()) {
                assertThat(run.err() + run.out()).as(c.name() + " must not echo file contents").doesNotContain(forbidden);
            }
            assertThat(files(tmp)).as(c.name() + " wrote nothing").isEqualTo(before);
            assertThat(caseDir.resolve("out")).as(c.name() + " left no output directory").doesNotExist();
        }));
    }

    private static Set<Path> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
