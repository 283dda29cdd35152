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
