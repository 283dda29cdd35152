package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.Aligner;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.alignment.AlignmentManifest;
import dev.safelora.alignment.AlignmentMatrix;
import dev.safelora.alignment.CheckpointPair;
import dev.safelora.alignment.Progress;
import dev.safelora.tensor.DType;
import dev.safelora.testsupport.NaiveSafeLora;
import dev.safelora.testsupport.TinyCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's "The SafeLoRA core as a Java library" example, line for line, on tiny checkpoints: the
 * documented calls exist and give the naive full-C result.
 */
class LibraryExampleTest {

    @TempDir
    Path tmp;

    @Test
    void theReadmeExampleAlignsAndProjectsAsTheNaiveComputationDoes() {
        Path base = tmp.resolve("base");
        Path chat = tmp.resolve("chat");
        TinyCheckpoints.writePair(base, chat, 2, 7, DType.F32);
        PeftAdapter original = TinyCheckpoints.adapter(2, List.of("self_attn.q_proj", "self_attn.v_proj"), 4, 11, false);
        original.write(tmp.resolve("adapter"));

        // --- README example ---
        AlignmentManifest manifest = Aligner.align(base, chat, Set.of("q_proj", "v_proj"),
                tmp.resolve("alignment"), Aligner.Options.defaults(), Progress.NONE);
        ProjectionReport report;
        try (AlignmentArtifact alignment = AlignmentArtifact.open(tmp.resolve("alignment"))) {
            SafeLoraProjector.Result result = SafeLoraProjector.project(PeftAdapter.read(tmp.resolve("adapter")),
                    alignment, Selection.threshold(0.5), Progress.NONE);
            result.adapter().write(tmp.resolve("projected"));
            report = result.report();
        }
        // --- end of the example ---

        assertThat(manifest.modules()).hasSize(4);
        PeftAdapter projected = PeftAdapter.read(tmp.resolve("projected"));
        try (CheckpointPair pair = CheckpointPair.open(base, chat, Set.of("q_proj", "v_proj"))) {
            for (ModuleResult r : report.modules()) {
                LoraWeights w = original.modules().get(r.name());
                AlignmentMatrix v = pair.load(r.name());
                double naive = NaiveSafeLora.cosine(v.v(), v.rows(), v.cols(), w.b(), w.a(), w.r());
                assertThat(r.exactCosine()).as(r.name()).isCloseTo(naive, within(1e-6));
                assertThat(r.projected()).as(r.name()).isEqualTo(Math.rint(naive * 1e5) / 1e5 <= 0.5);
                double[] expectedB = r.projected() ? NaiveSafeLora.cb(v.v(), v.rows(), v.cols(), w.b(), w.r()) : NaiveSafeLora.widen(w.b());
                float[] b = projected.modules().get(r.name()).b();
                for (int i = 0; i < b.length; i++) {
                    assertThat((double) b[i]).as(r.name() + " B[" + i + "]").isCloseTo(expectedB[i], within(1e-5));
                }
            }
        }
    }
}
