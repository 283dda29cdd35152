package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.alignment.AlignmentMatrix;
import dev.safelora.testsupport.NaiveSafeLora;
import dev.safelora.testsupport.TinyCheckpoints;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class FactoredProjectionTest {

    private static void assertMatchesNaive(int m, int n, int r, long seed) {
        Random rnd = new Random(seed);
        float[] v = TinyCheckpoints.gaussian(rnd, m * n, 1);
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        float[] a = TinyCheckpoints.gaussian(rnd, r * n, 1);
        double norm = AlignmentMatrix.frobeniusNorm(v);
        double[] cb = FactoredProjection.projectB(v, m, n, norm, b, r);
        double[] expected = NaiveSafeLora.cb(v, m, n, b, r);
        double scale = 0;
        for (double x : expected) {
            scale = Math.max(scale, Math.abs(x));
        }
        for (int i = 0; i < cb.length; i++) {
            assertThat(cb[i]).as("C B[%d] for %dx%d r=%d", i, m, n, r).isCloseTo(expected[i], within(1e-10 * scale + 1e-12));
        }
        double[] g = FactoredProjection.gram(a, r, n);
        double cos = FactoredProjection.cosine(cb, FactoredProjection.widen(b), m, r, g);
        assertThat(cos).isCloseTo(NaiveSafeLora.cosine(v, m, n, b, a, r), within(1e-9));
    }

    @Test
    void matchesTheExplicitMatrixOnSquareGqaAndMlpShapes() {
        assertMatchesNaive(64, 64, 8, 1); // q_proj
        assertMatchesNaive(16, 64, 4, 2); // GQA k/v: narrower out
        assertMatchesNaive(96, 64, 2, 3); // MLP up/gate
        assertMatchesNaive(64, 96, 3, 4); // MLP down
        assertMatchesNaive(1, 7, 1, 5);
        assertMatchesNaive(5, 1, 5, 6);
    }

    @Test
    void largeEnoughShapesTakeTheParallelPathAndStillMatch() {
        assertMatchesNaive(512, 1024, 8, 7);
    }

    @Test
    void handComputedCosineForAKnownCase() {
        // V = [[1,0],[0,0]] (norm 1) makes C = diag(1,0): C B keeps the first row of B.
        float[] v = {1, 0, 0, 0};
        float[] b = {1, 1}; // 2 x 1
        float[] a = {1, 0}; // 1 x 2
        double[] cb = FactoredProjection.projectB(v, 2, 2, 1, b, 1);
        assertThat(cb).containsExactly(1, 0);
        // B A = [[1,0],[1,0]], C B A = [[1,0],[0,0]]: cos = 1 / (1 * sqrt 2)
        double cos = FactoredProjection.cosine(cb, FactoredProjection.widen(b), 2, 1, FactoredProjection.gram(a, 1, 2));
        assertThat(cos).isCloseTo(1 / Math.sqrt(2), within(1e-15));
    }

    @Test
    void zeroUpdateHasCosineZeroAsTorchDefinesIt() {
        float[] v = {1, 2, 3, 4};
        double cos = FactoredProjection.cosine(new double[2], new double[2], 2, 1, FactoredProjection.gram(new float[] {1, 1}, 1, 2));
        assertThat(cos).isZero();
        assertThat(FactoredProjection.projectB(v, 2, 2, AlignmentMatrix.frobeniusNorm(v), new float[2], 1)).containsOnly(0);
    }

    @Property(tries = 60)
    void gramGivesTheBitsOfOneDotProductPerEntryAndIsSymmetric(@ForAll @IntRange(min = 1, max = 11) int r,
                                                              @ForAll @IntRange(min = 1, max = 70) int n, @ForAll long seed) {
        float[] a = TinyCheckpoints.gaussian(new Random(seed), r * n, 1);

        double[] g = FactoredProjection.gram(a, r, n);

        for (int k = 0; k < r; k++) {
            for (int l = 0; l < r; l++) {
                double dot = 0;
                for (int j = 0; j < n; j++) {
                    dot += (double) a[Math.min(k, l) * n + j] * a[Math.max(k, l) * n + j];
                }
                assertThat(Double.doubleToRawLongBits(g[k * r + l])).as("G[%d][%d]", k, l).isEqualTo(Double.doubleToRawLongBits(dot));
            }
        }
    }

    @Property(tries = 80)
    void frobeniusInnerGivesTheBitsOfTheRowByRowSumAndTheFullProductsInnerProduct(
            @ForAll @IntRange(min = 1, max = 40) int m, @ForAll @IntRange(min = 1, max = 40) int n,
            @ForAll @IntRange(min = 1, max = 11) int r, @ForAll long seed) {
        Random rnd = new Random(seed);
        double[] x = FactoredProjection.widen(TinyCheckpoints.gaussian(rnd, m * r, 1));
        double[] y = FactoredProjection.widen(TinyCheckpoints.gaussian(rnd, m * r, 1));
        float[] a = TinyCheckpoints.gaussian(rnd, r * n, 1);
        double[] g = FactoredProjection.gram(a, r, n);

        // X^T Y summed row by row into an r x r array, then trace(X^T Y G): the order the kernel keeps
        double[] xty = new double[r * r];
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < r; k++) {
                for (int l = 0; l < r; l++) {
                    xty[k * r + l] += x[i * r + k] * y[i * r + l];
                }
            }
        }
        double rowByRow = 0;
        for (int k = 0; k < r; k++) {
            for (int l = 0; l < r; l++) {
                rowByRow += xty[k * r + l] * g[l * r + k];
            }
        }
        // <X A, Y A>_F on the full m x n products
        double[] xa = NaiveSafeLora.matmul(x, m, r, NaiveSafeLora.widen(a), n);
        double[] ya = NaiveSafeLora.matmul(y, m, r, NaiveSafeLora.widen(a), n);
        double full = 0;
        for (int i = 0; i < xa.length; i++) {
            full += xa[i] * ya[i];
        }

        double inner = FactoredProjection.frobeniusInner(x, y, m, r, g);
        assertThat(Double.doubleToRawLongBits(inner)).isEqualTo(Double.doubleToRawLongBits(rowByRow));
        assertThat(inner).isCloseTo(full, within(1e-9 * (1 + Math.abs(full) + m * n * r)));
    }

    @Property(tries = 60)
    void cosineIsWithinMinusOneAndOneAndMatchesNaive(@ForAll @IntRange(min = 1, max = 12) int m, @ForAll @IntRange(min = 1, max = 12) int n,
                                                   @ForAll @IntRange(min = 1, max = 4) int r, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] v = TinyCheckpoints.gaussian(rnd, m * n, 1);
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        float[] a = TinyCheckpoints.gaussian(rnd, r * n, 1);
        double[] cb = FactoredProjection.projectB(v, m, n, AlignmentMatrix.frobeniusNorm(v), b, r);
        double cos = FactoredProjection.cosine(cb, FactoredProjection.widen(b), m, r, FactoredProjection.gram(a, r, n));
        assertThat(cos).isBetween(-1.0, 1.0);
        assertThat(cos).isCloseTo(Math.max(-1, Math.min(1, NaiveSafeLora.cosine(v, m, n, b, a, r))), within(1e-8));
    }

    @Property(tries = 40)
    void scalingBOrALeavesTheCosineUnchanged(@ForAll @IntRange(min = 2, max = 10) int m, @ForAll @IntRange(min = 2, max = 10) int n,
                                            @ForAll @IntRange(min = 1, max = 3) int r, @ForAll long seed,
                                            @ForAll @DoubleRange(min = -50, max = 50) double factor) {
        if (Math.abs(factor) < 1e-3) {
            return;
        }
        Random rnd = new Random(seed);
        float[] v = TinyCheckpoints.gaussian(rnd, m * n, 1);
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        float[] a = TinyCheckpoints.gaussian(rnd, r * n, 1);
        double norm = AlignmentMatrix.frobeniusNorm(v);
        double base = FactoredProjection.cosine(FactoredProjection.projectB(v, m, n, norm, b, r), FactoredProjection.widen(b), m, r,
                FactoredProjection.gram(a, r, n));
        float[] sb = b.clone();
        for (int i = 0; i < sb.length; i++) {
            sb[i] *= (float) factor;
        }
        float[] sa = a.clone();
        for (int i = 0; i < sa.length; i++) {
            sa[i] *= (float) factor;
        }
        double scaledB = FactoredProjection.cosine(FactoredProjection.projectB(v, m, n, norm, sb, r), FactoredProjection.widen(sb), m, r,
                FactoredProjection.gram(a, r, n));
        double scaledA = FactoredProjection.cosine(FactoredProjection.projectB(v, m, n, norm, b, r), FactoredProjection.widen(b), m, r,
                FactoredProjection.gram(sa, r, n));
        assertThat(scaledB).isCloseTo(base, within(1e-6));
        assertThat(scaledA).isCloseTo(base, within(1e-6));
    }
}
