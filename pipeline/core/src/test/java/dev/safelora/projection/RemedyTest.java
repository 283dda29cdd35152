package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.Progress;
import dev.safelora.testsupport.MapAlignment;
import dev.safelora.testsupport.NaiveSafeLora;
import dev.safelora.testsupport.TinyCheckpoints;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The remedies and the signed score against hand-computed values and naive full-matrix references
 * (explicit C, explicit B A).
 */
class RemedyTest {

    static final String Q0 = "model.layers.0.self_attn.q_proj";
    static final String Q1 = "model.layers.1.self_attn.q_proj";

    private static PeftAdapter adapter(int r, LoraWeights... ws) {
        return PeftAdapter.of(new LoraConfig(r, 2.0 * r, false, List.of("q_proj"), 0.0, "tiny", false), List.of(ws));
    }

    private static Map<String, ModuleResult> byName(ProjectionReport report) {
        return report.modules().stream().collect(Collectors.toMap(ModuleResult::name, Function.identity()));
    }

    private static double frobenius(double[] x) {
        double s = 0;
        for (double d : x) {
            s += d * d;
        }
        return Math.sqrt(s);
    }

    private static double updateNorm(float[] b, float[] a, int m, int r, int n) {
        return frobenius(NaiveSafeLora.matmul(NaiveSafeLora.widen(b), m, r, NaiveSafeLora.widen(a), n));
    }

    @Test
    void anUpdateThatReversesTheAlignmentHasANegativeSignedScoreWhileItsCosineIsPositive() {
        // V = [[1,0],[0,0]], so C = diag(1, 0). B A = [[-1,0],[1,0]]: <B A, V> = -1, ||B A|| = sqrt 2, ||V|| = 1.
        // C B A = [[-1,0],[0,0]]: <C B A, B A> = 1, ||C B A|| = 1, so cos = 1/sqrt 2 although the update reverses V.
        MapAlignment v = new MapAlignment().put(Q0, 2, 2, 1, 0, 0, 0);
        PeftAdapter a = adapter(1, new LoraWeights(Q0, 1, 2, 2, new float[] {1, 0}, new float[] {-1, 1}));
        ModuleResult r = SafeLoraProjector.project(a, v, Selection.threshold(-1), Progress.NONE).report().modules().get(0);
        assertThat(r.signedScore()).isCloseTo(-1 / Math.sqrt(2), within(1e-12));
        assertThat(r.exactCosine()).isCloseTo(1 / Math.sqrt(2), within(1e-12)).isGreaterThanOrEqualTo(0);
        assertThat(r.projected()).isFalse();
        assertThat(r.normRatio()).isEqualTo(1);
    }

    @Test
    void signedScoreMatchesTheFullMatrixInnerProduct() {
        Random rnd = new Random(3);
        int m = 7;
        int n = 5;
        int rank = 2;
        float[] vv = TinyCheckpoints.gaussian(rnd, m * n, 1);
        float[] av = TinyCheckpoints.gaussian(rnd, rank * n, 1);
        float[] bv = TinyCheckpoints.gaussian(rnd, m * rank, 1);
        double[] ba = NaiveSafeLora.matmul(NaiveSafeLora.widen(bv), m, rank, NaiveSafeLora.widen(av), n);
        double dot = 0;
        for (int i = 0; i < ba.length; i++) {
            dot += ba[i] * vv[i];
        }
        double expected = dot / (frobenius(ba) * frobenius(NaiveSafeLora.widen(vv)));
        ModuleResult r = SafeLoraProjector.project(adapter(rank, new LoraWeights(Q0, rank, n, m, av, bv)),
                new MapAlignment().put(Q0, m, n, vv), Selection.threshold(1), Progress.NONE).report().modules().get(0);
        assertThat(r.signedScore()).isCloseTo(expected, within(1e-9));
    }

    @Test
    void safeLorasCCanEnlargeAnUpdateTheSubspaceProjectorCannot() {
        // V = 3 e1 e1^T: ||V|| = 3, C = V V^T / 3 = diag(3, 0), which triples an update along e1
        MapAlignment v = new MapAlignment().put(Q0, 2, 2, 3, 0, 0, 0);
        PeftAdapter a = adapter(1, new LoraWeights(Q0, 1, 2, 2, new float[] {1, 1}, new float[] {1, 0}));
        ProjectionReport project = SafeLoraProjector.project(a, v, Selection.threshold(1), Remedy.PROJECT, 0, Progress.NONE).report();
        ProjectionReport subspace = SafeLoraProjector.project(a, v, Selection.threshold(1), Remedy.SUBSPACE, 1, Progress.NONE).report();
        assertThat(project.modules().get(0).normRatio()).isCloseTo(3, within(1e-12));
        assertThat(subspace.modules().get(0).normRatio()).isCloseTo(1, within(1e-12));
        assertThat(project.remedy()).isEqualTo("project");
        assertThat(subspace.remedy()).isEqualTo("subspace");
        assertThat(subspace.mode()).isEqualTo("threshold");
        assertThat(subspace.rank()).isEqualTo(1);
        // rank 2 on this rank-1 V: the second direction carries no alignment and is left out, so B = e1 + e2 keeps only e1
        PeftAdapter diagonal = adapter(1, new LoraWeights(Q0, 1, 2, 2, new float[] {1, 0}, new float[] {1, 1}));
        ProjectionReport aboveRank = SafeLoraProjector.project(diagonal, v, Selection.threshold(1), Remedy.SUBSPACE, 2, Progress.NONE)
                .report();
        assertThat(aboveRank.modules().get(0).normRatio()).isCloseTo(1 / Math.sqrt(2), within(1e-12));
    }

    @Test
    void zeroDropsTheSelectedUpdatesAndLeavesTheOthers() {
        // Q0: V along e1, update along e2 -> cos 0, selected at tau 0.5; Q1: update along V -> cos 1, kept
        MapAlignment v = new MapAlignment().put(Q0, 2, 2, 1, 0, 0, 0).put(Q1, 2, 2, 1, 0, 0, 0);
        LoraWeights q0 = new LoraWeights(Q0, 1, 2, 2, new float[] {1, 0}, new float[] {0, 2});
        LoraWeights q1 = new LoraWeights(Q1, 1, 2, 2, new float[] {1, 0}, new float[] {2, 0});
        SafeLoraProjector.Result res = SafeLoraProjector.project(adapter(1, q0, q1), v, Selection.threshold(0.5), Remedy.ZERO, 0,
                Progress.NONE);
        assertThat(res.adapter().modules().get(Q0).b()).containsExactly(0, 0);
        assertThat(res.adapter().modules().get(Q1).b()).containsExactly(2, 0);
        Map<String, ModuleResult> m = byName(res.report());
        assertThat(m.get(Q0).projected()).isTrue();
        assertThat(m.get(Q0).normRatio()).isZero();
        // C B of Q0 is 0, so B_final = 0 is at distance 0 from it; Q1 is kept: ||B - C B|| = ||[2,0] - [2,0]|| = 0
        assertThat(res.report().remedy()).isEqualTo("zero");
        assertThat(res.report().projectedCount()).isEqualTo(1);
    }

    @Test
    void shrinkGivesExactlyTheProjectedNormInTheUpdatesDirection() {
        Random rnd = new Random(5);
        int m = 9;
        int n = 6;
        int rank = 3;
        float[] vv = TinyCheckpoints.gaussian(rnd, m * n, 1);
        float[] av = TinyCheckpoints.gaussian(rnd, rank * n, 1);
        float[] bv = TinyCheckpoints.gaussian(rnd, m * rank, 1);
        SafeLoraProjector.Result res = SafeLoraProjector.project(adapter(rank, new LoraWeights(Q0, rank, n, m, av, bv)),
                new MapAlignment().put(Q0, m, n, vv), Selection.threshold(1), Remedy.SHRINK, 0, Progress.NONE);
        double projectedNorm = frobenius(NaiveSafeLora.matmul(NaiveSafeLora.cb(vv, m, n, bv, rank), m, rank, NaiveSafeLora.widen(av), n));
        float[] shrunk = res.adapter().modules().get(Q0).b();
        assertThat(updateNorm(shrunk, av, m, rank, n)).isCloseTo(projectedNorm, within(1e-5 * projectedNorm));
        double factor = shrunk[0] / bv[0];
        for (int i = 0; i < bv.length; i++) {
            assertThat((double) shrunk[i]).isCloseTo(factor * bv[i], within(1e-6));
        }
        assertThat(res.report().modules().get(0).normRatio()).isCloseTo(projectedNorm / updateNorm(bv, av, m, rank, n), within(1e-9));
    }

    @Test
    void everyRemedyActsOnTheSameModulesWithTheSameCosines() {
        PeftAdapter adapter = TinyCheckpoints.adapter(3, List.of("self_attn.q_proj", "mlp.up_proj"), 2, 9, false);
        MapAlignment v = new MapAlignment();
        Random rnd = new Random(10);
        for (LoraWeights w : adapter.modules().values()) {
            v.put(w.module(), w.out(), w.in(), TinyCheckpoints.gaussian(rnd, w.out() * w.in(), 1));
        }
        List<List<Object>> seen = new ArrayList<>();
        for (Remedy remedy : Remedy.values()) {
            ProjectionReport r = SafeLoraProjector.project(adapter, v, Selection.topK(3), remedy, 0, Progress.NONE).report();
            seen.add(r.modules().stream().<Object>map(x -> List.of(x.name(), x.cosine(), x.signedScore(), x.projected())).toList());
            assertThat(r.remedy()).isEqualTo(remedy.cliName());
        }
        assertThat(seen).allSatisfy(s -> assertThat(s).isEqualTo(seen.get(0)));
    }

    @Test
    void aSubspaceRankIsOnlyForTheSubspaceRemedy() {
        PeftAdapter a = adapter(1, new LoraWeights(Q0, 1, 2, 2, new float[] {1, 0}, new float[] {1, 0}));
        MapAlignment v = new MapAlignment().put(Q0, 2, 2, 1, 0, 0, 0);
        assertThatThrownBy(() -> SafeLoraProjector.project(a, v, Selection.threshold(1), Remedy.ZERO, 2, Progress.NONE))
                .hasMessageContaining("subspace remedy only");
        assertThat(Remedy.fromCliName("Shrink")).isEqualTo(Remedy.SHRINK);
        assertThatThrownBy(() -> Remedy.fromCliName("scale")).hasMessageContaining("project, subspace, zero, shrink");
    }

    @Property(tries = 30)
    void theSubspaceRemedyNeverEnlargesAnUpdate(@ForAll @IntRange(min = 1, max = 6) int m, @ForAll @IntRange(min = 1, max = 6) int n,
                                                @ForAll @IntRange(min = 1, max = 3) int rank, @ForAll @IntRange(min = 1, max = 6) int k,
                                                @ForAll @IntRange(min = 0, max = 100_000) int seed) {
        int subspaceRank = Math.min(k, Math.min(m, n));
        Random rnd = new Random(seed);
        float[] vv = TinyCheckpoints.gaussian(rnd, m * n, 1 + rnd.nextInt(20));
        float[] av = TinyCheckpoints.gaussian(rnd, rank * n, 1);
        float[] bv = TinyCheckpoints.gaussian(rnd, m * rank, 1);
        SafeLoraProjector.Result res = SafeLoraProjector.project(adapter(rank, new LoraWeights(Q0, rank, n, m, av, bv)),
                new MapAlignment().put(Q0, m, n, vv), Selection.threshold(1), Remedy.SUBSPACE, subspaceRank, Progress.NONE);
        double before = updateNorm(bv, av, m, rank, n);
        double after = updateNorm(res.adapter().modules().get(Q0).b(), av, m, rank, n);
        assertThat(after).isLessThanOrEqualTo(before * (1 + 1e-6) + 1e-9);
        assertThat(res.report().modules().get(0).normRatio()).isLessThanOrEqualTo(1 + 1e-9);
    }
}
