package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.alignment.AlignmentMatrix;
import dev.safelora.testsupport.TinyCheckpoints;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The vectorised float kernels against the exact double path (surefire runs core with the Vector API module). */
class VectorKernelsTest {

    @Test
    void theVectorApiPathIsActiveInThisBuild() {
        assertThat(FloatKernels.available()).isInstanceOf(VectorKernels.class);
    }

    @Test
    void matchesTheExactPathOnModelShapesAndRagged() {
        assertAgrees(1024, 1024, 8, 1);
        assertAgrees(256, 4100, 8, 2); // n not a multiple of any lane count, r a multiple of 4
        assertAgrees(1030, 1027, 5, 3); // ragged everywhere, r with a remainder
        assertAgrees(3, 40, 1, 4);
    }

    @Test
    void projectBRoutesRealShapesToTheFastPathAndTinyOnesToTheExactOne() {
        Random rnd = new Random(9);
        float[] v = TinyCheckpoints.gaussian(rnd, 8 * 8, 1);
        float[] b = TinyCheckpoints.gaussian(rnd, 8 * 2, 1);
        double norm = AlignmentMatrix.frobeniusNorm(v);
        assertThat(FactoredProjection.projectB(v, 8, 8, norm, b, 2)).containsExactly(FactoredProjection.exactProjectB(v, 8, 8, norm, b, 2));
    }

    @Test
    void resultsAreBitIdenticalWhateverTheThreadCount() {
        int m = 700;
        int n = 1500;
        int r = 6;
        Random rnd = new Random(5);
        float[] v = TinyCheckpoints.gaussian(rnd, m * n, 1);
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        FloatKernels k = FloatKernels.available();
        double[] one = k.vTransposeB(v, m, n, b, r, 1);
        float[] pt = FactoredProjection.narrow(one);
        double[] cbOne = k.vTimes(v, m, n, pt, r, 3, 1);
        for (int threads : new int[] {2, 3, 8}) {
            assertThat(k.vTransposeB(v, m, n, b, r, threads)).as("V^T B on %d threads", threads).containsExactly(one);
            assertThat(k.vTimes(v, m, n, pt, r, 3, threads)).as("V P on %d threads", threads).containsExactly(cbOne);
        }
    }

    @Test
    void productsOnTheFastPathMatchTheExactOnesIncludingVTransposeB() {
        int m = 1024;
        int n = 1100;
        int r = 8;
        Random rnd = new Random(6);
        float[] v = TinyCheckpoints.gaussian(rnd, m * n, 1);
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        double norm = AlignmentMatrix.frobeniusNorm(v);
        FactoredProjection.Products fast = FactoredProjection.products(v, m, n, norm, b, r);
        double[] exactBtv = FactoredProjection.vTransposeB(v, m, n, FactoredProjection.widen(b), r);
        double[] exactCb = FactoredProjection.vTimes(v, m, n, exactBtv, r, norm);
        assertClose(fast.btv(), exactBtv, 2e-5);
        assertClose(fast.cb(), exactCb, 2e-5);
        assertThat(fast.cb()).isNotEqualTo(exactCb); // it did take the float path
    }

    @Test
    void theNormDoesNotDependOnTheRunSplitAndMatchesAPlainSum() {
        float[] v = TinyCheckpoints.gaussian(new Random(8), (1 << 20) + 5, 1);
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        assertThat(AlignmentMatrix.frobeniusNorm(v)).isCloseTo(Math.sqrt(s), within(1e-12 * Math.sqrt(s)));
    }

    private static void assertClose(double[] got, double[] want, double relative) {
        double scale = 0;
        for (double x : want) {
            scale = Math.max(scale, Math.abs(x));
        }
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).as("element %d", i).isCloseTo(want[i], within(relative * scale));
        }
    }

    private static void assertAgrees(int m, int n, int r, long seed) {
        Random rnd = new Random(seed);
        float[] v = TinyCheckpoints.gaussian(rnd, m * n, 1);
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        float[] a = TinyCheckpoints.gaussian(rnd, r * n, 1);
        double norm = AlignmentMatrix.frobeniusNorm(v);
        double[] exact = FactoredProjection.exactProjectB(v, m, n, norm, b, r);
        double[] fast = new VectorKernels().projectB(v, m, n, norm, b, r);
        double scale = 0;
        for (double x : exact) {
            scale = Math.max(scale, Math.abs(x));
        }
        for (int i = 0; i < exact.length; i++) {
            assertThat(fast[i]).as("C B[%d] of %dx%d r=%d", i, m, n, r).isCloseTo(exact[i], within(2e-5 * scale));
        }
        double[] g = FactoredProjection.gram(a, r, n);
        double[] wideB = FactoredProjection.widen(b);
        assertThat(FactoredProjection.cosine(fast, wideB, m, r, g))
                .isCloseTo(FactoredProjection.cosine(exact, wideB, m, r, g), within(1e-6));
    }
}
