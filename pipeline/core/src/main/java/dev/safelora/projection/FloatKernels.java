package dev.safelora.projection;

/**
 * A faster, float-precision implementation of {@code C B = V (V^T B) / ||V||_F} for real model
 * shapes; {@link FactoredProjection} falls back to its exact double kernels where none is usable.
 */
interface FloatKernels {

    /** Modules below this many weights stay on the exact double path (tiny models, tests). */
    int MIN_ELEMENTS = 1 << 20;

    double[] projectB(float[] v, int m, int n, double norm, float[] b, int r);

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
        static final FloatKernels KERNELS = load();

        private Holder() {
        }

        private static FloatKernels load() {
            if ("scalar".equals(System.getProperty("safelora.kernels"))
                    || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                return null;
            }
            try {
                return (FloatKernels) Class.forName("dev.safelora.projection.VectorKernels").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return null;
            }
        }
    }
}
