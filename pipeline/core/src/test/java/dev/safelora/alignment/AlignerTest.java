package dev.safelora.alignment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.tensor.Checkpoint;
import dev.safelora.tensor.DType;
import dev.safelora.tensor.SafetensorsFile;
import dev.safelora.tensor.SafetensorsWriter;
import dev.safelora.testsupport.TinyCheckpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlignerTest {

    @TempDir
    Path dir;

    private Path base() {
        return dir.resolve("base");
    }

    private Path aligned() {
        return dir.resolve("aligned");
    }

    @Test
    void writesVNormsShapesAndChecksumsForEveryTargetModule() throws Exception {
        TinyCheckpoints.writePair(base(), aligned(), 12, 7, DType.BF16);
        Path out = dir.resolve("alignment");
        List<String> progress = new ArrayList<>();
        AlignmentManifest manifest = Aligner.align(base(), aligned(), Set.of("q_proj", "v_proj", "down_proj"), out,
                Aligner.Options.defaults(), (done, total, what) -> progress.add(done + "/" + total + " " + what));

        assertThat(manifest.modules()).hasSize(36);
        assertThat(manifest.modules().subList(0, 4)).extracting(AlignmentManifest.Module::name).containsExactly(
                "model.layers.0.mlp.down_proj", "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.mlp.down_proj");
        assertThat(manifest.modules().get(35).name()).isEqualTo("model.layers.11.self_attn.v_proj");
        assertThat(progress).hasSize(36).last().isEqualTo("36/36 model.layers.11.self_attn.v_proj");
        assertThat(manifest.excluded()).isEmpty();

        byte[] bytes = Files.readAllBytes(base().resolve("model.safetensors"));
        String expectedSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertThat(manifest.base().files()).singleElement().satisfies(f -> {
            assertThat(f.sha256()).isEqualTo(expectedSha);
            assertThat(f.bytes()).isEqualTo(bytes.length);
        });

        try (Checkpoint b = Checkpoint.open(base()); Checkpoint a = Checkpoint.open(aligned());
             SafetensorsFile v = SafetensorsFile.open(out.resolve("alignment.safetensors"))) {
            String module = "model.layers.10.self_attn.v_proj";
            float[] wb = b.floats(module + ".weight");
            float[] wa = a.floats(module + ".weight");
            float[] stored = v.floats(module);
            assertThat(v.info(module).dtype()).as("bf16 checkpoints, V as PEFT: stored losslessly as bf16").isEqualTo(DType.BF16);
            assertThat(manifest.version()).isEqualTo(2);
            assertThat(manifest.layout()).as("bf16: V^T, which projection reads in one pass").isEqualTo("transposed");
            int rows = TinyCheckpoints.KV;
            int cols = TinyCheckpoints.HIDDEN;
            assertThat(v.info(module).shape()).containsExactly(cols, rows);
            double ss = 0;
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    // bf16 checkpoints: V rounded to bf16 as PEFT computes it; V[i][j] is the stored V^T[j][i]
                    float want = dev.safelora.tensor.HalfFloats.bf16ToFloat(dev.safelora.tensor.HalfFloats.floatToBf16(wa[i * cols + j] - wb[i * cols + j]));
                    assertThat(stored[j * rows + i]).as("V[%d][%d]", i, j).isEqualTo(want);
                    ss += (double) want * want;
                }
            }
            AlignmentManifest.Module entry = manifest.modules().stream().filter(m -> m.name().equals(module)).findFirst().orElseThrow();
            assertThat(entry.frobeniusNorm()).isCloseTo(Math.sqrt(ss), within(1e-12));
            assertThat(entry.layer()).isEqualTo(10);
        }

        try (AlignmentArtifact artifact = AlignmentArtifact.open(out)) {
            assertThat(artifact.modules()).hasSize(36);
            assertThat(artifact.shape("model.layers.3.mlp.down_proj")).isEqualTo(new ModuleShape(TinyCheckpoints.HIDDEN, TinyCheckpoints.INTERMEDIATE));
            assertThat(artifact.manifest().aligned().files().get(0).sha256()).hasSize(64);
        }
    }

    @Test
    void storesBf16WhenAsked() {
        TinyCheckpoints.writePair(base(), aligned(), 2, 7, DType.F32);
        Path out = dir.resolve("alignment");
        Aligner.align(base(), aligned(), Set.of("q_proj"), out, new Aligner.Options(DType.BF16, Aligner.OnZero.FAIL), Progress.NONE);
        try (SafetensorsFile v = SafetensorsFile.open(out.resolve("alignment.safetensors"))) {
            assertThat(v.info("model.layers.1.self_attn.q_proj").dtype()).isEqualTo(DType.BF16);
        }
    }

    /** F32 and F16 artifacts keep V as it is (their kernels read floats); load gives V whichever way it is stored. */
    @Test
    void onlyBf16IsStoredTransposedAndEitherLoadsAsV() {
        TinyCheckpoints.writePair(base(), aligned(), 2, 7, DType.F32);
        String module = "model.layers.1.self_attn.v_proj";
        Path f32 = dir.resolve("f32");
        Path bf16 = dir.resolve("bf16");
        Aligner.align(base(), aligned(), Set.of("v_proj"), f32, Aligner.Options.defaults(), Progress.NONE);
        Aligner.align(base(), aligned(), Set.of("v_proj"), bf16, new Aligner.Options(DType.BF16, Aligner.OnZero.FAIL), Progress.NONE);
        try (AlignmentArtifact a = AlignmentArtifact.open(f32); AlignmentArtifact b = AlignmentArtifact.open(bf16);
             SafetensorsFile stored = SafetensorsFile.open(f32.resolve("alignment.safetensors"))) {
            assertThat(a.manifest().layout()).isEqualTo("rows");
            assertThat(b.manifest().layout()).isEqualTo("transposed");
            AlignmentMatrix exact = a.load(module);
            assertThat(exact.v()).containsExactly(stored.floats(module));
            AlignmentMatrix rounded = b.load(module, new float[exact.v().length]);
            assertThat(rounded.rows()).isEqualTo(TinyCheckpoints.KV);
            assertThat(rounded.cols()).isEqualTo(TinyCheckpoints.HIDDEN);
            for (int i = 0; i < exact.v().length; i++) {
                float want = dev.safelora.tensor.HalfFloats.bf16ToFloat(dev.safelora.tensor.HalfFloats.floatToBf16(exact.v()[i]));
                assertThat(rounded.v()[i]).as("element %d", i).isEqualTo(want);
            }
        }
    }

    /** Artifacts written before the layout field (version 1) hold V as it is, and are read so. */
    @Test
    void aVersionOneManifestWithoutALayoutIsReadAsRows() throws Exception {
        Path out = alignedF32("v1");
        Path json = out.resolve("alignment.json");
        String written = Files.readString(json);
        Files.writeString(json, written.replace("\"version\" : 2", "\"version\" : 1").replace("\"layout\" : \"rows\",", ""));
        assertThat(Files.readString(json)).doesNotContain("layout").contains("\"version\" : 1");
        try (AlignmentArtifact a = AlignmentArtifact.open(out)) {
            assertThat(a.manifest().transposed()).isFalse();
            assertThat(a.load("model.layers.0.self_attn.q_proj").rows()).isEqualTo(TinyCheckpoints.HIDDEN);
        }
    }

    /** A layout this build does not know, or a version after its own, is refused (read as rows it would be the wrong V). */
    @Test
    void anUnknownLayoutOrVersionIsRefusedNamingBoth() throws Exception {
        Path out = alignedF32("odd");
        Path json = out.resolve("alignment.json");
        String written = Files.readString(json);
        Files.writeString(json, written.replace("\"layout\" : \"rows\"", "\"layout\" : \"columns\""));
        assertThatThrownBy(() -> AlignmentArtifact.open(out)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("version 2", "layout columns", "not one this build reads");
        Files.writeString(json, written.replace("\"version\" : 2", "\"version\" : 3"));
        assertThatThrownBy(() -> AlignmentArtifact.open(out)).hasMessageContainingAll("version 3", "layout rows");
        Files.writeString(json, written.replace("\"version\" : 2", "\"version\" : 1"));
        assertThatThrownBy(() -> AlignmentArtifact.open(out)).as("version 1 had no layout").hasMessageContainingAll("version 1", "layout rows");
    }

    /** A transposed artifact's tensors must have the transposed shapes: V's shape is refused, and the message says why. */
    @Test
    void aTransposedArtifactWithTensorsOfVsShapeIsRefused() throws Exception {
        TinyCheckpoints.writePair(base(), aligned(), 1, 3, DType.BF16);
        Path out = dir.resolve("t");
        Aligner.align(base(), aligned(), Set.of("v_proj"), out, Aligner.Options.defaults(), Progress.NONE);
        String module = "model.layers.0.self_attn.v_proj";
        new SafetensorsWriter().addFloats(module, new long[] {TinyCheckpoints.KV, TinyCheckpoints.HIDDEN},
                new float[TinyCheckpoints.KV * TinyCheckpoints.HIDDEN], DType.BF16).write(out.resolve("alignment.safetensors"));
        assertThatThrownBy(() -> AlignmentArtifact.open(out)).hasMessageContainingAll("disagree", module,
                "(stored transposed: " + TinyCheckpoints.HIDDEN + "x" + TinyCheckpoints.KV + ")");
    }

    /** An F32 alignment of one layer's q_proj in {@code dir/name} (layout rows). */
    private Path alignedF32(String name) {
        TinyCheckpoints.writePair(base(), aligned(), 1, 3, DType.F32);
        Path out = dir.resolve(name);
        Aligner.align(base(), aligned(), Set.of("q_proj"), out, Aligner.Options.defaults(), Progress.NONE);
        return out;
    }

    private void writeSingle(Path d, String name, long[] shape, float[] values) {
        new SafetensorsWriter().addFloats(name, shape, values).write(mkdir(d).resolve("model.safetensors"));
    }

    private static Path mkdir(Path d) {
        try {
            return Files.createDirectories(d);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void listsEveryTensorMissingOnOneSideAndEveryShapeMismatch() {
        new SafetensorsWriter()
                .addFloats("model.layers.0.self_attn.q_proj.weight", new long[] {2, 2}, new float[4])
                .addFloats("model.layers.1.self_attn.q_proj.weight", new long[] {2, 2}, new float[4])
                .addFloats("model.layers.2.self_attn.q_proj.weight", new long[] {2, 2}, new float[4])
                .write(mkdir(base()).resolve("model.safetensors"));
        new SafetensorsWriter()
                .addFloats("model.layers.0.self_attn.q_proj.weight", new long[] {2, 2}, new float[4])
                .addFloats("model.layers.2.self_attn.q_proj.weight", new long[] {1, 4}, new float[4])
                .addFloats("model.layers.3.self_attn.q_proj.weight", new long[] {2, 2}, new float[4])
                .write(mkdir(aligned()).resolve("model.safetensors"));
        assertThatThrownBy(() -> Aligner.align(base(), aligned(), Set.of("q_proj"), dir.resolve("out"), Aligner.Options.defaults(), Progress.NONE))
                .hasMessageContainingAll(
                        "\"model.layers.1.self_attn.q_proj.weight\" missing from the aligned checkpoint",
                        "\"model.layers.3.self_attn.q_proj.weight\" missing from the base checkpoint",
                        "\"model.layers.2.self_attn.q_proj.weight\" has shape [2, 2] in the base but [1, 4]");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void refusesNanAndInfNamingTheCheckpointAndTensor() {
        String w = "model.layers.0.self_attn.q_proj.weight";
        writeSingle(base(), w, new long[] {1, 2}, new float[] {1, 2});
        writeSingle(aligned(), w, new long[] {1, 2}, new float[] {1, Float.NaN});
        assertThatThrownBy(() -> Aligner.align(base(), aligned(), Set.of("q_proj"), dir.resolve("out"), Aligner.Options.defaults(), Progress.NONE))
                .hasMessageContainingAll("\"" + w + "\"", "aligned checkpoint", "NaN", "element 1");
        writeSingle(base(), w, new long[] {1, 2}, new float[] {Float.NEGATIVE_INFINITY, 2});
        assertThatThrownBy(() -> Aligner.align(base(), aligned(), Set.of("q_proj"), dir.resolve("out"), Aligner.Options.defaults(), Progress.NONE))
                .hasMessageContainingAll("base checkpoint", "-Infinity", "element 0");
        assertThat(dir.resolve("out").resolve("alignment.safetensors")).doesNotExist();
    }

    @Test
    void zeroVIsExcludedAndReportedOrFatalByOption() {
        new SafetensorsWriter()
                .addFloats("model.layers.0.self_attn.q_proj.weight", new long[] {1, 2}, new float[] {1, 2})
                .addFloats("model.layers.1.self_attn.q_proj.weight", new long[] {1, 2}, new float[] {1, 2})
                .write(mkdir(base()).resolve("model.safetensors"));
        new SafetensorsWriter()
                .addFloats("model.layers.0.self_attn.q_proj.weight", new long[] {1, 2}, new float[] {1, 2})
                .addFloats("model.layers.1.self_attn.q_proj.weight", new long[] {1, 2}, new float[] {1, 3})
                .write(mkdir(aligned()).resolve("model.safetensors"));
        Path out = dir.resolve("out");
        AlignmentManifest m = Aligner.align(base(), aligned(), Set.of("q_proj"), out, Aligner.Options.defaults(), Progress.NONE);
        assertThat(m.modules()).extracting(AlignmentManifest.Module::name).containsExactly("model.layers.1.self_attn.q_proj");
        assertThat(m.excluded()).singleElement().satisfies(e -> {
            assertThat(e.name()).isEqualTo("model.layers.0.self_attn.q_proj");
            assertThat(e.reason()).contains("zero");
        });
        try (AlignmentArtifact a = AlignmentArtifact.open(out)) {
            assertThat(a.contains("model.layers.0.self_attn.q_proj")).isFalse();
            assertThat(a.whyMissing("model.layers.0.self_attn.q_proj")).contains("zero");
            assertThat(a.load("model.layers.1.self_attn.q_proj").v()).containsExactly(0f, 1f);
        }
        assertThatThrownBy(() -> Aligner.align(base(), aligned(), Set.of("q_proj"), dir.resolve("out2"),
                new Aligner.Options(DType.F32, Aligner.OnZero.FAIL), Progress.NONE))
                .hasMessageContainingAll("model.layers.0.self_attn.q_proj", "zero");
    }

    @Test
    void alignsShardedCheckpoints() throws Exception {
        for (Path d : List.of(base(), aligned())) {
            float shift = d.equals(base()) ? 0 : 1;
            new SafetensorsWriter().addFloats("model.layers.0.self_attn.q_proj.weight", new long[] {1, 2}, new float[] {1, 2 + shift})
                    .write(mkdir(d).resolve("model-00001-of-00002.safetensors"));
            new SafetensorsWriter().addFloats("model.layers.1.self_attn.q_proj.weight", new long[] {1, 2}, new float[] {3 + shift, 4})
                    .write(d.resolve("model-00002-of-00002.safetensors"));
            Files.writeString(d.resolve("model.safetensors.index.json"), "{\"weight_map\":{"
                    + "\"model.layers.0.self_attn.q_proj.weight\":\"model-00001-of-00002.safetensors\","
                    + "\"model.layers.1.self_attn.q_proj.weight\":\"model-00002-of-00002.safetensors\"}}");
        }
        Path out = dir.resolve("out");
        AlignmentManifest m = Aligner.align(base(), aligned(), Set.of("q_proj"), out, Aligner.Options.defaults(), Progress.NONE);
        assertThat(m.base().files()).extracting(AlignmentManifest.SourceFile::file)
                .containsExactly("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");
        try (AlignmentArtifact a = AlignmentArtifact.open(out)) {
            assertThat(a.load("model.layers.0.self_attn.q_proj").v()).containsExactly(0f, 1f);
            assertThat(a.load("model.layers.1.self_attn.q_proj").v()).containsExactly(1f, 0f);
        }
    }

    @Test
    void projectingAgainstAZeroVFromCheckpointsIsAClearError() {
        String w = "model.layers.0.self_attn.q_proj.weight";
        writeSingle(base(), w, new long[] {2, 2}, new float[] {1, 2, 3, 4});
        writeSingle(aligned(), w, new long[] {2, 2}, new float[] {1, 2, 3, 4});
        var adapter = dev.safelora.adapter.PeftAdapter.of(new dev.safelora.adapter.LoraConfig(1, 1, false, List.of("q_proj"), 0, null, false),
                List.of(new dev.safelora.adapter.LoraWeights("model.layers.0.self_attn.q_proj", 1, 2, 2, new float[] {1, 1}, new float[] {1, 1})));
        try (CheckpointPair pair = CheckpointPair.open(base(), aligned(), Set.of("q_proj"))) {
            assertThatThrownBy(() -> dev.safelora.projection.SafeLoraProjector.project(adapter, pair,
                    dev.safelora.projection.Selection.threshold(0.5), Progress.NONE))
                    .hasMessageContainingAll("model.layers.0.self_attn.q_proj", "V is zero");
        }
    }

    @Test
    void noTargetWeightsAtAllIsAnError() {
        TinyCheckpoints.writePair(base(), aligned(), 1, 1, DType.F32);
        assertThatThrownBy(() -> Aligner.align(base(), aligned(), Set.of("c_attn"), dir.resolve("out"), Aligner.Options.defaults(), Progress.NONE))
                .hasMessageContaining("no weights of the target modules [c_attn]");
    }

    @Test
    void artifactWhoseTensorsDisagreeWithTheManifestIsRefused() throws Exception {
        TinyCheckpoints.writePair(base(), aligned(), 1, 1, DType.F32);
        Path out = dir.resolve("out");
        Aligner.align(base(), aligned(), Set.of("q_proj"), out, Aligner.Options.defaults(), Progress.NONE);
        new SafetensorsWriter().addFloats("something.else", new long[] {1}, new float[] {1}).write(out.resolve("alignment.safetensors"));
        assertThatThrownBy(() -> AlignmentArtifact.open(out)).hasMessageContainingAll("disagree", "model.layers.0.self_attn.q_proj");
        assertThatThrownBy(() -> AlignmentArtifact.open(dir)).hasMessageContaining("not an alignment artifact");
    }
}
