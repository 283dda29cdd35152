package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.Progress;
import dev.safelora.testsupport.MapAlignment;
import dev.safelora.testsupport.TinyCheckpoints;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Enough bf16 modules that a run projects them side by side, one per thread: each module's numbers and projected B are
 * the bits it gets projected alone (on the kernels' usual split of one module across the threads), progress counts every
 * module once, and a failure names the first failing module in order whichever thread met it.
 */
class SafeLoraProjectorModulesSideBySideTest {

    private static final int THREADS = 2;
    private static final int MODULES = SafeLoraProjector.MODULES_PER_THREAD * THREADS;
    private static final int R = 6;

    @Test
    void eachModuleGetsTheBitsItGetsAlone() {
        MapAlignment alignment = alignment(-1, -1);
        PeftAdapter adapter = adapter(alignment);
        List<Integer> done = new ArrayList<>();
        Set<String> named = new HashSet<>();
        Progress progress = (step, total, what) -> {
            assertThat(total).isEqualTo(MODULES);
            done.add(step);
            named.add(what);
        };
        assertThat(FactoredProjection.fastBf16Kernels()).as("the bf16 kernels are in use").isTrue();
        SafeLoraProjector.Result all = SafeLoraProjector.project(adapter, alignment, Selection.threshold(1.0), Remedy.PROJECT, 0,
                progress, THREADS);
        assertThat(done).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(named).isEqualTo(adapter.modules().keySet());
        assertThat(all.report().projectedCount()).isPositive();
        for (LoraWeights w : adapter.modules().values()) {
            PeftAdapter one = PeftAdapter.of(adapter.config(), List.of(w));
            SafeLoraProjector.Result alone = SafeLoraProjector.project(one, alignment, Selection.threshold(1.0), Remedy.PROJECT, 0,
                    Progress.NONE, THREADS);
            ModuleResult want = alone.report().modules().get(0);
            ModuleResult got = all.report().modules().stream().filter(m -> m.name().equals(w.module())).findFirst().orElseThrow();
            assertThat(got).as(w.module()).isEqualTo(want);
            assertThat(all.adapter().modules().get(w.module()).b()).as(w.module())
                    .containsExactly(alone.adapter().modules().get(w.module()).b());
        }
    }

    @Test
    void aFailureNamesTheFirstFailingModuleInOrder() {
        MapAlignment twoBroken = alignment(2, 5);
        List<String> names = twoBroken.modules();
        assertThatThrownBy(() -> SafeLoraProjector.project(adapter(twoBroken), twoBroken, Selection.threshold(1.0), Remedy.PROJECT, 0,
                Progress.NONE, THREADS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"" + names.get(2) + "\"").hasMessageContaining("NaN")
                .hasMessageNotContaining(names.get(5));
        MapAlignment lastBroken = alignment(MODULES - 1, -1);
        assertThatThrownBy(() -> SafeLoraProjector.project(adapter(lastBroken), lastBroken, Selection.threshold(1.0), Remedy.PROJECT, 0,
                Progress.NONE, THREADS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"" + names.get(MODULES - 1) + "\"");
    }

    /** q 1024 x 1024 and v 512 x 2048 in turn, V of bf16 values; modules {@code broken} and {@code alsoBroken} hold a NaN. */
    private static MapAlignment alignment(int broken, int alsoBroken) {
        Random rnd = new Random(5);
        MapAlignment alignment = new MapAlignment().servingBf16();
        for (int i = 0; i < MODULES; i++) {
            boolean q = i % 2 == 0;
            int rows = q ? 1024 : 512;
            int cols = q ? 1024 : 2048;
            float[] v = TinyCheckpoints.gaussian(rnd, rows * cols, 0.01);
            for (int j = 0; j < v.length; j++) {
                v[j] = Float.intBitsToFloat(Float.floatToRawIntBits(v[j]) & 0xFFFF0000);
            }
            if (i == broken || i == alsoBroken) {
                v[rows * cols / 3] = Float.NaN;
            }
            alignment.put(name(i), rows, cols, v);
        }
        return alignment;
    }

    private static PeftAdapter adapter(MapAlignment alignment) {
        Random rnd = new Random(9);
        List<LoraWeights> modules = new ArrayList<>();
        for (String name : alignment.modules()) {
            var shape = alignment.shape(name);
            modules.add(new LoraWeights(name, R, shape.cols(), shape.rows(), TinyCheckpoints.gaussian(rnd, R * shape.cols(), 0.1),
                    TinyCheckpoints.gaussian(rnd, shape.rows() * R, 0.1)));
        }
        return PeftAdapter.of(new LoraConfig(R, 2.0 * R, false, List.of("q_proj", "v_proj"), 0, null, false), modules);
    }

    private static String name(int i) {
        return "model.layers." + i / 2 + ".self_attn." + (i % 2 == 0 ? "q_proj" : "v_proj");
    }
}
