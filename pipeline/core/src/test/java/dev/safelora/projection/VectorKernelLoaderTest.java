package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class VectorKernelLoaderTest {

    /** Stands for kernels written against a Vector API method this Java does not have. */
    static final class Unlinkable implements Runnable {
        Unlinkable() {
            throw new NoSuchMethodError("'jdk.incubator.vector.IntVector jdk.incubator.vector.IntVector.fromByteBuffer()'");
        }

        @Override
        public void run() {
        }
    }

    static final class Linkable implements Runnable {
        @Override
        public void run() {
        }
    }

    @Test
    void kernelsThatDoNotLinkAreReportedWithTheJavaVersionAndTheMissingMethod() {
        VectorKernelLoader.Loaded<Runnable> loaded =
                VectorKernelLoader.load(VectorKernelLoaderTest.class.getName() + "$Unlinkable", Runnable.class);

        assertThat(loaded.kernels()).isNull();
        assertThat(loaded.unavailable())
                .startsWith(VectorKernelLoaderTest.class.getName() + "$Unlinkable is not usable on Java " + Runtime.version())
                .contains("NoSuchMethodError: 'jdk.incubator.vector.IntVector jdk.incubator.vector.IntVector.fromByteBuffer()'")
                .contains("falls back to slower kernels")
                .doesNotContain("\n");
    }

    @Test
    void aMissingClassIsReportedToo() {
        VectorKernelLoader.Loaded<Runnable> loaded = VectorKernelLoader.load("dev.safelora.projection.NoSuchKernels", Runnable.class);

        assertThat(loaded.kernels()).isNull();
        assertThat(loaded.unavailable()).contains("NoSuchKernels").contains("ClassNotFoundException");
    }

    @Test
    void kernelsThatLinkLoadWithNoReason() {
        VectorKernelLoader.Loaded<Runnable> loaded =
                VectorKernelLoader.load(VectorKernelLoaderTest.class.getName() + "$Linkable", Runnable.class);

        assertThat(loaded.kernels()).isInstanceOf(Linkable.class);
        assertThat(loaded.unavailable()).isNull();
    }

    @Test
    void theProductsKernelsLinkOnJava17() {
        assumeTrue(Runtime.version().feature() == 17, "the kernels are written for Java 17's Vector API");
        assumeTrue(Bf16Kernels.enabled(), "the Vector API module is not in this JVM's boot layer");

        assertThat(Bf16Kernels.unavailableReason()).isNull();
        assertThat(FloatKernels.unavailableReason()).isNull();
        assertThat(Bf16Kernels.available()).isNotNull();
        assertThat(FloatKernels.available()).isNotNull();
    }
}
