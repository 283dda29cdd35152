package dev.safelora.projection;

import dev.safelora.alignment.AlignmentMatrix;

/**
 * The remedy dispatch: given one module's factors and SafeLoRA's {@code C B}, the {@code B} a
 * {@link Remedy} leaves. Kept apart from the kernels ({@link FactoredProjection},
 * {@link SubspaceProjection}), which it only calls.
 */
final class Remedies {

    private Remedies() {
    }

    /**
     * One module as the remedies see it.
     *
     * @param b   B widened to double, m x r
     * @param cb  SafeLoRA's {@code C B}, m x r
     * @param g   {@code A A^T}, r x r
     * @param v   the module's alignment matrix
     * @param subspaceRank the rank of the SUBSPACE projector (ignored by the other remedies)
     */
    record ModuleUpdate(double[] b, double[] cb, double[] g, int m, int r, AlignmentMatrix v, int subspaceRank) {
    }

    static double[] apply(Remedy remedy, ModuleUpdate u) {
        return switch (remedy) {
            case PROJECT -> u.cb();
            case SUBSPACE -> {
                double[] basis = SubspaceProjection.topLeftSingularVectors(u.v().v(), u.v().rows(), u.v().cols(), u.subspaceRank());
                int k = significantDirections(basis, u);
                yield SubspaceProjection.project(keepColumns(basis, u.m(), u.subspaceRank(), k), u.m(), k, u.b(), u.r());
            }
            case ZERO -> new double[u.b().length];
            case SHRINK -> {
                double original = updateNorm(u.b(), u.m(), u.r(), u.g());
                double projected = updateNorm(u.cb(), u.m(), u.r(), u.g());
                // a zero update stays zero: there is no direction to scale
                double factor = original == 0 ? 1 : projected / original;
                double[] out = new double[u.b().length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = factor * u.b()[i];
                }
                yield out;
            }
        };
    }

    /**
     * How many leading basis columns carry a singular value above {@code 1e-6 sigma_1}: directions
     * beyond V's rank (asked for with a rank above it) are not alignment directions and are left out.
     */
    private static int significantDirections(double[] basis, ModuleUpdate u) {
        int k = u.subspaceRank();
        double[] utv = FactoredProjection.vTransposeB(u.v().v(), u.v().rows(), u.v().cols(), basis, k); // k x n
        int n = u.v().cols();
        double[] sigma = new double[k];
        for (int c = 0; c < k; c++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += utv[c * n + j] * utv[c * n + j];
            }
            sigma[c] = Math.sqrt(s);
        }
        int kept = 0;
        while (kept < k && sigma[kept] > 1e-6 * sigma[0]) {
            kept++;
        }
        return Math.max(1, kept);
    }

    private static double[] keepColumns(double[] basis, int m, int k, int kept) {
        if (kept == k) {
            return basis;
        }
        double[] out = new double[m * kept];
        for (int i = 0; i < m; i++) {
            System.arraycopy(basis, i * k, out, i * kept, kept);
        }
        return out;
    }

    /** {@code ||X A||_F} from X (m x r) and {@code G = A A^T}. */
    static double updateNorm(double[] x, int m, int r, double[] g) {
        return FactoredProjection.norm(FactoredProjection.frobeniusInner(x, x, m, r, g));
    }

    /**
     * The signed alignment score {@code <B A, V>_F / (||B A||_F ||V||_F)}: negative when the update
     * points against the alignment direction, which the paper's cosine cannot show (C is positive
     * semi-definite, so {@code <C B A, B A>} is never negative). 0 for a zero update.
     *
     * @param btv {@code B^T V} as an r x n matrix (what {@link FactoredProjection#vTransposeB} returns)
     * @param updateNorm {@code ||B A||_F} ({@link #updateNorm} of B)
     */
    static double signedScore(double[] btv, float[] a, double updateNorm, double vNorm) {
        double inner = 0;
        for (int i = 0; i < btv.length; i++) {
            inner += btv[i] * a[i];
        }
        if (updateNorm == 0 || vNorm == 0) {
            return 0;
        }
        return Math.max(-1, Math.min(1, inner / (updateNorm * vNorm)));
    }
}
