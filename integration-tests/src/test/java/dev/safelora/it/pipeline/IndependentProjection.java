package dev.safelora.it.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.tensor.Checkpoint;
import dev.safelora.testsupport.NaiveSafeLora;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a published adapter must be, computed without the pipeline: V straight from the two checkpoints'
 * weights, the full m x m projection C in double ({@link NaiveSafeLora}), the cosines of every module of the
 * raw adapter, the TOP_K lowest projected ({@code B := C B}) and the rest untouched.
 */
final class IndependentProjection {

    private IndependentProjection() {
    }

    /** The cosine of each module of {@code raw} against the (base, aligned) pair, by module name. */
    static Map<String, Double> cosines(PeftAdapter raw, Path base, Path aligned) {
        Map<String, Double> out = new LinkedHashMap<>();
        try (Checkpoint b = Checkpoint.open(base); Checkpoint a = Checkpoint.open(aligned)) {
            for (LoraWeights w : raw.modules().values()) {
                out.put(w.module(), NaiveSafeLora.cosine(v(b, a, w.module()), w.out(), w.in(), w.b(), w.a(), w.r()));
            }
        }
        return out;
    }

    /** Asserts {@code projected} is {@code raw} with exactly the {@code k} lowest-cosine modules projected; returns them. */
    static List<String> assertTopKProjection(PeftAdapter raw, PeftAdapter projected, Path base, Path aligned, int k) {
        List<String> lowest = cosines(raw, base, aligned).entrySet().stream()
                .sorted(Map.Entry.comparingByValue(Comparator.naturalOrder()))
                .limit(k).map(Map.Entry::getKey).sorted().toList();
        assertProjection(raw, projected, base, aligned, lowest);
        return lowest;
    }

    /** Asserts {@code projected} is {@code raw} with B := C B in exactly {@code selected} and nothing else changed. */
    static void assertProjection(PeftAdapter raw, PeftAdapter projected, Path base, Path aligned, List<String> selected) {
        assertThat(projected.modules().keySet()).isEqualTo(raw.modules().keySet());
        assertThat(raw.modules().keySet()).containsAll(selected);
        try (Checkpoint b = Checkpoint.open(base); Checkpoint a = Checkpoint.open(aligned)) {
            for (LoraWeights before : raw.modules().values()) {
                LoraWeights after = projected.modules().get(before.module());
                assertThat(after.a()).as("A of %s is never changed", before.module()).isEqualTo(before.a());
                if (!selected.contains(before.module())) {
                    assertThat(after.b()).as("B of unprojected %s", before.module()).isEqualTo(before.b());
                    continue;
                }
                double[] expected = NaiveSafeLora.cb(v(b, a, before.module()), before.out(), before.in(), before.b(), before.r());
                double scale = 0;
                for (double x : expected) {
                    scale = Math.max(scale, Math.abs(x));
                }
                for (int i = 0; i < expected.length; i++) {
                    assertThat((double) after.b()[i]).as("C B of %s at %d", before.module(), i).isCloseTo(expected[i], within(1e-5 * scale + 1e-9));
                }
            }
        }
    }

    /** V = W_aligned - W_base, in float as the checkpoints store it (F32 here). */
    private static float[] v(Checkpoint base, Checkpoint aligned, String module) {
        String name = module + ".weight";
        float[] w0 = base.floats(name);
        float[] w1 = aligned.floats(name);
        float[] v = new float[w0.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = w1[i] - w0[i];
        }
        return v;
    }
}
