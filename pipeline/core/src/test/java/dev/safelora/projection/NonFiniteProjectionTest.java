package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.Progress;
import dev.safelora.testsupport.TinyCheckpoints;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A NaN reaching the projector (an adapter built in memory, not read from a checked file) is an error, never "not projected". */
class NonFiniteProjectionTest {

    @Test
    void aNonFiniteCosineIsAnErrorNamingTheModule() {
        PeftAdapter adapter = TinyCheckpoints.adapter(2, List.of("self_attn.q_proj"), 1, 7, false);
        List<LoraWeights> poisoned = new ArrayList<>();
        for (LoraWeights w : adapter.modules().values()) {
            float[] a = w.a().clone();
            if (poisoned.isEmpty()) {
                a[0] = Float.NaN;
            }
            poisoned.add(new LoraWeights(w.module(), w.r(), w.in(), w.out(), a, w.b()));
        }
        LoraWeights first = poisoned.get(0);
        AlignmentSource alignment = new SafeLoraProjectorTest.FixedAlignment(
                TinyCheckpoints.gaussian(new java.util.Random(1), first.out() * first.in(), 1), first.out(), first.in());
        for (Selection selection : List.of(Selection.threshold(0.5), Selection.topK(1))) {
            assertThatThrownBy(() -> SafeLoraProjector.project(PeftAdapter.of(adapter.config(), poisoned), alignment, selection, Progress.NONE))
                    .as("%s", selection).hasMessageContainingAll(first.module(), "cosine is not finite");
        }
    }
}
