package dev.safelora.projection;

/**
 * A faster, float-precision implementation of the two streaming products of the factored
 * projection for real model shapes; {@link FactoredProjection} falls back to its exact double
 * kernels where none is usable. Results do not depend on the number of threads: every output
 * element is owned by one task and summed in a fixed order.
 */
interface FloatKernels {

    /** Modules below this many weights stay on the exact double path (tiny models, tests). */
    int MIN_ELEMENTS = 1 << 20;

    /** {@code (V^T B)^T} as r x n doubles, on up to {@code threads} threads. */
    double[] vTransposeB(float[] v, int m, int n, float[] b, int r, int threads);

    /** {@code V P / scale} as m x r doubles, where {@code pt} is {@code P^T} (r x n), on up to {@code threads} threads. */
    double[] vTimes(float[] v, int m, int n, float[] pt, int r, double scale, int threads);

    default double[] projectB(float[] v, int m, int n, double norm, float[] b, int r) {
        int threads = FactoredProjection.threads();
        return vTimes(v, m, n, FactoredProjection.narrow(vTransposeB(v, m, n, b, r, threads)), r, norm, threads);
    }

    /**
     * The vectorised kernels where the JDK's Vector API module is in the boot layer
     * ({@code --add-modules jdk.incubator.vector}) and {@code -Dsafelora.kernels=scalar} is not
     * set, or null. The class is only touched when the module is there: loading it otherwise would
     * fail to link.
     */
    static FloatKernels available() {
        return Holder.KERNELS;
    }

    final class Holder {
        static final FloatKernels KERNELS =
                "scalar".equals(System.getProperty("safelora.kernels")) || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()
                        ? null
                        : VectorKernelLoader.load("dev.safelora.projection.VectorKernels", FloatKernels.class);

        private Holder() {
        }
    }
}
