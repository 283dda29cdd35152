package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.Aligner;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.alignment.AlignmentMatrix;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.ModuleShape;
import dev.safelora.alignment.Progress;
import dev.safelora.tensor.DType;
import dev.safelora.tensor.SafetensorsFile;
import dev.safelora.tensor.SafetensorsWriter;
import dev.safelora.testsupport.TinyCheckpoints;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The projector on a bf16 alignment artifact (V read from its bf16 bytes, no float copy) against the
 * same artifact read as floats: a 1024 x 1024 and a 512 x 2048 module large enough for the kernels and one small
 * one that stays on the exact path.
 */
class SafeLoraProjectorBf16Test {

    private static final String[] BIG = {"model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"};
    private static final String SMALL = "model.layers.1.self_attn.q_proj";

    @TempDir
    static Path dir;

    static Path alignment;
    static PeftAdapter adapter;

    @BeforeAll
    static void artifact() {
        Random rnd = new Random(11);
        SafetensorsWriter base = new SafetensorsWriter().metadata("format", "pt");
        SafetensorsWriter aligned = new SafetensorsWriter().metadata("format", "pt");
        List<LoraWeights> modules = new ArrayList<>();
        int r = 6;
        for (String name : new String[] {BIG[0], BIG[1], SMALL}) {
            int rows = name.equals(SMALL) ? 64 : name.equals(BIG[1]) ? 512 : 1024;
            int cols = name.equals(SMALL) ? 64 : name.equals(BIG[1]) ? 2048 : 1024;
            float[] w = TinyCheckpoints.gaussian(rnd, rows * cols, 0.05);
            float[] wa = w.clone();
            for (int i = 0; i < wa.length; i++) {
                wa[i] += (float) (rnd.nextGaussian() * 0.01);
            }
            base.addFloats(name + ".weight", new long[] {rows, cols}, w, DType.BF16);
            aligned.addFloats(name + ".weight", new long[] {rows, cols}, wa, DType.BF16);
            modules.add(new LoraWeights(name, r, cols, rows, TinyCheckpoints.gaussian(rnd, r * cols, 0.1),
                    TinyCheckpoints.gaussian(rnd, rows * r, 0.1)));
        }
        base.write(create(dir.resolve("base")).resolve("model.safetensors"));
        aligned.write(create(dir.resolve("aligned")).resolve("model.safetensors"));
        alignment = dir.resolve("alignment");
        Aligner.align(dir.resolve("base"), dir.resolve("aligned"), Set.of("q_proj", "v_proj"), alignment, Aligner.Options.defaults(),
                Progress.NONE);
        adapter = PeftAdapter.of(new LoraConfig(r, 2.0 * r, false, List.of("q_proj", "v_proj"), 0, null, false), modules);
    }

    @Test
    void theArtifactHoldsBf16AndTheBigModulesTakeTheBf16Kernels() {
        try (SafetensorsFile f = SafetensorsFile.open(alignment.resolve("alignment.safetensors"))) {
            assertThat(f.info(BIG[0]).dtype()).isEqualTo(DType.BF16);
        }
        assertThat(FactoredProjection.bf16Kernels(1024, 1024)).isTrue();
        assertThat(FactoredProjection.bf16Kernels(64, 64)).isFalse();
        try (AlignmentArtifact a = AlignmentArtifact.open(alignment)) {
            var v = a.loadBf16(BIG[1]);
            assertThat(v.bits()).as("read by the kernels block by block, not held whole").isNull();
            java.nio.ByteBuffer whole = v.whole(null);
            assertThat(whole.limit()).isEqualTo(2 * 512 * 2048);
            assertThat(v.transposed()).as("a bf16 artifact stores V^T").isTrue();
            try (AlignmentArtifact again = AlignmentArtifact.open(alignment)) {
                float[] floats = again.load(BIG[1]).v();
                for (int i = 0; i < floats.length; i += 4099) {
                    int row = i / 2048;
                    int col = i % 2048;
                    assertThat(dev.safelora.tensor.HalfFloats.bf16ToFloat(whole.getShort(2 * (col * 512 + row))))
                            .as("element %d", i).isEqualTo(floats[i]);
                }
            }
        }
    }

    @Test
    void matchesTheFloatPathWithTheSameSelection() {
        for (Selection selection : List.of(Selection.threshold(1.0), Selection.topK(1), Selection.topK(2))) {
            SafeLoraProjector.Result bf16;
            SafeLoraProjector.Result floats;
            try (AlignmentArtifact a = AlignmentArtifact.open(alignment)) {
                bf16 = SafeLoraProjector.project(adapter, a, selection, Progress.NONE);
                floats = SafeLoraProjector.project(adapter, new FloatsOnly(a), selection, Progress.NONE);
            }
            var got = bf16.report().modules();
            var want = floats.report().modules();
            assertThat(got).hasSameSizeAs(want);
            for (int i = 0; i < want.size(); i++) {
                String what = selection + " " + want.get(i).name();
                assertThat(got.get(i).name()).isEqualTo(want.get(i).name());
                assertThat(got.get(i).projected()).as(what).isEqualTo(want.get(i).projected());
                assertThat(got.get(i).exactCosine()).as(what).isCloseTo(want.get(i).exactCosine(), within(1e-6));
                assertThat(got.get(i).signedScore()).as(what).isCloseTo(want.get(i).signedScore(), within(1e-6));
                assertThat(got.get(i).alignmentNorm()).as(what).isCloseTo(want.get(i).alignmentNorm(), within(1e-6 * want.get(i).alignmentNorm()));
                String module = want.get(i).name();
                assertCloseB(bf16.adapter().modules().get(module).b(), floats.adapter().modules().get(module).b(), what);
            }
            assertThat(bf16.report().projectedCount()).isPositive();
        }
    }

    @Test
    void anF32ArtifactStaysOnTheFloatPathWithTheSameResults() {
        Path f32 = dir.resolve("alignment-f32");
        Aligner.align(dir.resolve("base"), dir.resolve("aligned"), Set.of("q_proj", "v_proj"), f32,
                new Aligner.Options(DType.F32, Aligner.OnZero.EXCLUDE), Progress.NONE);
        try (AlignmentArtifact a = AlignmentArtifact.open(f32); AlignmentArtifact b = AlignmentArtifact.open(alignment)) {
            assertThat(a.loadBf16(BIG[0])).isNull();
            var fromF32 = SafeLoraProjector.project(adapter, a, Selection.topK(1), Progress.NONE).report().modules();
            var fromBf16 = SafeLoraProjector.project(adapter, b, Selection.topK(1), Progress.NONE).report().modules();
            for (int i = 0; i < fromF32.size(); i++) {
                assertThat(fromBf16.get(i).exactCosine()).isCloseTo(fromF32.get(i).exactCosine(), within(1e-6));
                assertThat(fromBf16.get(i).projected()).isEqualTo(fromF32.get(i).projected());
            }
        }
    }

    /**
     * An artifact written before the layout field (version 1: bf16 V stored as rows) is read with the two passes over V and
     * gives what the version 2 artifact (V^T, one pass) gives.
     */
    @Test
    void aVersionOneBf16ArtifactOfRowsProjectsAsTheTransposedOne() throws IOException {
        Path v1 = create(dir.resolve("alignment-v1"));
        SafetensorsWriter rows = new SafetensorsWriter().metadata("format", "safelora-alignment");
        try (AlignmentArtifact v2 = AlignmentArtifact.open(alignment)) {
            for (String module : v2.modules()) {
                AlignmentMatrix v = v2.load(module);
                rows.addFloats(module, new long[] {v.rows(), v.cols()}, v.v(), DType.BF16);
            }
        }
        rows.write(v1.resolve("alignment.safetensors"));
        String manifest = Files.readString(alignment.resolve("alignment.json"));
        Files.writeString(v1.resolve("alignment.json"),
                manifest.replace("\"version\" : 2", "\"version\" : 1").replace("\"layout\" : \"transposed\",", ""));
        try (AlignmentArtifact old = AlignmentArtifact.open(v1); AlignmentArtifact now = AlignmentArtifact.open(alignment)) {
            assertThat(old.manifest().transposed()).isFalse();
            assertThat(old.loadBf16(BIG[1]).transposed()).isFalse();
            assertThat(now.loadBf16(BIG[1]).transposed()).isTrue();
            SafeLoraProjector.Result fromRows = SafeLoraProjector.project(adapter, old, Selection.topK(1), Progress.NONE);
            SafeLoraProjector.Result fromTranspose = SafeLoraProjector.project(adapter, now, Selection.topK(1), Progress.NONE);
            var want = fromRows.report().modules();
            var got = fromTranspose.report().modules();
            assertThat(got).hasSameSizeAs(want);
            for (int i = 0; i < want.size(); i++) {
                String what = want.get(i).name();
                assertThat(got.get(i).projected()).as(what).isEqualTo(want.get(i).projected());
                assertThat(got.get(i).exactCosine()).as(what).isCloseTo(want.get(i).exactCosine(), within(1e-6));
                assertThat(got.get(i).signedScore()).as(what).isCloseTo(want.get(i).signedScore(), within(1e-6));
                assertCloseB(fromTranspose.adapter().modules().get(what).b(), fromRows.adapter().modules().get(what).b(), what);
            }
            assertThat(fromRows.report().projectedCount()).isPositive();
        }
    }

    @Test
    void aNaNInTheArtifactGivesTheSameErrorAsOnTheFloatPath() throws IOException {
        Path poisoned = dir.resolve("poisoned");
        Files.createDirectories(poisoned);
        for (String f : new String[] {"alignment.json", "alignment.safetensors"}) {
            Files.copy(alignment.resolve(f), poisoned.resolve(f));
        }
        long at;
        try (SafetensorsFile f = SafetensorsFile.open(poisoned.resolve("alignment.safetensors"));
             FileChannel ch = FileChannel.open(poisoned.resolve("alignment.safetensors"))) {
            ByteBuffer length = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.read(length, 0);
            // V's element 654321 (512 x 2048: row 319, column 1009) where V^T stores it
            at = 8 + length.flip().getLong() + f.info(BIG[1]).dataStart() + 2L * (1009 * 512 + 319);
        }
        try (FileChannel ch = FileChannel.open(poisoned.resolve("alignment.safetensors"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xc0, (byte) 0x7f}), at); // bf16 NaN, little endian
        }
        try (AlignmentArtifact a = AlignmentArtifact.open(poisoned)) {
            Throwable onFloats = catchThrowable(() -> SafeLoraProjector.project(adapter, new FloatsOnly(a), Selection.topK(1), Progress.NONE));
            assertThat(onFloats).hasMessageContainingAll(BIG[1], "NaN at element 654321");
            assertThatThrownBy(() -> SafeLoraProjector.project(adapter, a, Selection.topK(1), Progress.NONE))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(onFloats.getMessage());
        }
    }

    /** Projected B against the other path's, each element within 2e-5 of the largest. */
    private static void assertCloseB(float[] got, float[] want, String what) {
        double scale = 0;
        for (float x : want) {
            scale = Math.max(scale, Math.abs(x));
        }
        for (int j = 0; j < want.length; j++) {
            assertThat((double) got[j]).as("%s B[%d]", what, j).isCloseTo(want[j], within(2e-5 * scale));
        }
    }

    private static Path create(Path p) {
        try {
            return Files.createDirectories(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The artifact without its bf16 bytes: every module read as floats, as before the bf16 kernels. */
    private record FloatsOnly(AlignmentArtifact artifact) implements AlignmentSource {
        @Override
        public List<String> modules() {
            return artifact.modules();
        }

        @Override
        public boolean contains(String module) {
            return artifact.contains(module);
        }

        @Override
        public ModuleShape shape(String module) {
            return artifact.shape(module);
        }

        @Override
        public AlignmentMatrix load(String module) {
            return artifact.load(module);
        }

        @Override
        public AlignmentMatrix load(String module, float[] reuse) {
            return artifact.load(module, reuse);
        }

        @Override
        public void close() {
        }
    }
}
