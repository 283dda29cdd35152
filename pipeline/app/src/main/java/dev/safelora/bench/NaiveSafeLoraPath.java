package dev.safelora.bench;

import java.util.stream.IntStream;

/**
 * What the reference implementations compute per module, for the benchmark's comparison only:
 * the m x m {@code C = V V^T / ||V||_F}, {@code W = C B}, {@code fW = W A}, {@code ori = B A} and
 * the cosine of the flattened m x n products. Same loop quality and threads as the factored path.
 */
final class NaiveSafeLoraPath {
    private NaiveSafeLoraPath() {
    }

    /** Returns the cosine; forms C explicitly. */
    static double cosine(float[] v, int m, int n, double norm, float[] a, float[] b, int r) {
        float[] c = new float[m * m]; // float storage, as torch holds it; products accumulate in double
        int blocks = (m + 3) / 4;
        IntStream.range(0, blocks).parallel().forEach(blk -> {
            int i0 = blk * 4;
            int rows = Math.min(4, m - i0);
            for (int k = 0; k < m; k++) {
                int rk = k * n;
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                int r0 = i0 * n;
                int r1 = rows > 1 ? r0 + n : r0;
                int r2 = rows > 2 ? r0 + 2 * n : r0;
                int r3 = rows > 3 ? r0 + 3 * n : r0;
                for (int j = 0; j < n; j++) {
                    double vk = v[rk + j];
                    s0 += v[r0 + j] * vk;
                    s1 += v[r1 + j] * vk;
                    s2 += v[r2 + j] * vk;
                    s3 += v[r3 + j] * vk;
                }
                c[i0 * m + k] = (float) (s0 / norm);
                if (rows > 1) {
                    c[(i0 + 1) * m + k] = (float) (s1 / norm);
                }
                if (rows > 2) {
                    c[(i0 + 2) * m + k] = (float) (s2 / norm);
                }
                if (rows > 3) {
                    c[(i0 + 3) * m + k] = (float) (s3 / norm);
                }
            }
        });
        double[] w = new double[m * r]; // W = C B
        IntStream.range(0, m).parallel().forEach(i -> {
            for (int k = 0; k < m; k++) {
                double cik = c[i * m + k];
                for (int l = 0; l < r; l++) {
                    w[i * r + l] += cik * b[k * r + l];
                }
            }
        });
        // fW = W A and ori = B A, m x n each, and their cosine
        double[] sums = IntStream.range(0, m).parallel().mapToObj(i -> {
            double dot = 0;
            double nf = 0;
            double no = 0;
            double[] fw = new double[n];
            double[] ori = new double[n];
            for (int l = 0; l < r; l++) {
                double wil = w[i * r + l];
                double bil = b[i * r + l];
                int ra = l * n;
                for (int j = 0; j < n; j++) {
                    fw[j] += wil * a[ra + j];
                    ori[j] += bil * a[ra + j];
                }
            }
            for (int j = 0; j < n; j++) {
                dot += fw[j] * ori[j];
                nf += fw[j] * fw[j];
                no += ori[j] * ori[j];
            }
            return new double[] {dot, nf, no};
        }).reduce(new double[3], (x, y) -> new double[] {x[0] + y[0], x[1] + y[1], x[2] + y[2]});
        return sums[0] / (Math.max(Math.sqrt(sums[1]), 1e-8) * Math.max(Math.sqrt(sums[2]), 1e-8));
    }
}
