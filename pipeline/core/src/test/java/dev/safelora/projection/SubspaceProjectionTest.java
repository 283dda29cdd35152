package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.Progress;
import dev.safelora.testsupport.MapAlignment;
import dev.safelora.testsupport.TinyCheckpoints;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SubspaceProjectionTest {

    /** A random m x m orthogonal matrix (columns), by Gram-Schmidt of a Gaussian matrix. */
    private static double[] orthogonal(int m, Random rnd) {
        double[] q = new double[m * m];
        for (int i = 0; i < q.length; i++) {
            q[i] = rnd.nextGaussian();
        }
        SubspaceProjection.orthonormalize(q, m, m);
        return q;
    }

    /** V = U diag(sigma) W^T with known singular vectors. */
    private static float[] withSpectrum(int m, int n, double[] sigma, double[] u, double[] w) {
        float[] v = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int c = 0; c < sigma.length; c++) {
                    s += u[i * m + c] * sigma[c] * w[j * n + c];
                }
                v[i * n + j] = (float) s;
            }
        }
        return v;
    }

    @Test
    void findsTheTopLeftSingularSubspaceOfAKnownMatrix() {
        Random rnd = new Random(3);
        int m = 24;
        int n = 16;
        double[] u0 = orthogonal(m, rnd);
        double[] w0 = orthogonal(n, rnd);
        double[] sigma = {10, 7, 5, 0.5, 0.3, 0.2, 0.1};
        float[] v = withSpectrum(m, n, sigma, u0, w0);
        int k = 3;
        double[] u = SubspaceProjection.topLeftSingularVectors(v, m, n, k);
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
                double dot = 0;
                for (int i = 0; i < m; i++) {
                    dot += u[i * k + a] * u[i * k + b];
                }
                assertThat(dot).isCloseTo(a == b ? 1 : 0, within(1e-12));
            }
        }
        // the projectors agree: U U^T = U0_k U0_k^T (float rounding of V limits the match)
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double p = 0;
                double p0 = 0;
                for (int c = 0; c < k; c++) {
                    p += u[i * k + c] * u[j * k + c];
                    p0 += u0[i * m + c] * u0[j * m + c];
                }
                assertThat(p).isCloseTo(p0, within(1e-6));
            }
        }
    }

    @Test
    void jacobiDiagonalizesASymmetricMatrix() {
        double[] a = {4, 1, 2, 1, 3, 0.5, 2, 0.5, 1};
        double[] copy = a.clone();
        double[] vec = new double[9];
        double[] val = SubspaceProjection.jacobiEigen(copy, 3, vec);
        for (int e = 0; e < 3; e++) {
            for (int i = 0; i < 3; i++) {
                double av = 0;
                for (int j = 0; j < 3; j++) {
                    av += a[i * 3 + j] * vec[j * 3 + e];
                }
                assertThat(av).isCloseTo(val[e] * vec[i * 3 + e], within(1e-12));
            }
        }
        assertThat(val[0] + val[1] + val[2]).isCloseTo(8, within(1e-12));
    }

    @Test
    void rankMustFitTheMatrix() {
        assertThatThrownBy(() -> SubspaceProjection.topLeftSingularVectors(new float[6], 2, 3, 3)).hasMessageContaining("between 1 and min(rows, cols) = 2, got 3");
    }

    /** One random V per module, fixed for the test. */
    private static AlignmentSource randomAlignment(PeftAdapter adapter, long seed) {
        Random rnd = new Random(seed);
        MapAlignment alignment = new MapAlignment();
        for (LoraWeights w : adapter.modules().values()) {
            alignment.put(w.module(), w.out(), w.in(), TinyCheckpoints.gaussian(rnd, w.out() * w.in(), 1));
        }
        return alignment;
    }

    @Property(tries = 6)
    void projectingTwiceChangesNothing(@ForAll @IntRange(min = 1, max = 10) int rank, @ForAll @IntRange(min = 0, max = 10_000) int seed) {
        PeftAdapter adapter = TinyCheckpoints.adapter(2, List.of("self_attn.k_proj", "mlp.up_proj"), 3, seed, false);
        AlignmentSource alignment = randomAlignment(adapter, seed + 1);
        // threshold 1 projects every module, so the second pass applies P to P B
        PeftAdapter once = SafeLoraProjector.project(adapter, alignment, Selection.threshold(1), rank, Progress.NONE).adapter();
        SafeLoraProjector.Result twice = SafeLoraProjector.project(once, alignment, Selection.threshold(1), rank, Progress.NONE);
        for (ModuleResult r : twice.report().modules()) {
            float[] b1 = once.modules().get(r.name()).b();
            float[] b2 = twice.adapter().modules().get(r.name()).b();
            double scale = 0;
            for (float x : b1) {
                scale = Math.max(scale, Math.abs(x));
            }
            for (int i = 0; i < b1.length; i++) {
                assertThat((double) b2[i]).isCloseTo(b1[i], within(1e-5 * scale));
            }
            assertThat(r.normRatio()).as("P B is already in the subspace").isCloseTo(1, within(1e-5));
        }
        assertThat(twice.report().remedy()).isEqualTo("subspace");
        assertThat(twice.report().mode()).isEqualTo("threshold");
        assertThat(twice.report().rank()).isEqualTo(rank);
    }
}
