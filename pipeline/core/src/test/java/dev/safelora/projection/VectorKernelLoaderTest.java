package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class VectorKernelLoaderTest {

    private static final String UNLINKABLE = VectorKernelLoaderTest.class.getName() + "$Unlinkable";

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

    /** What the loader catches when it makes an instance of {@code className}. */
    private static Throwable failureOf(String className) {
        return catchThrowable(() -> Class.forName(className).getDeclaredConstructor().newInstance());
    }

    @Test
    void kernelsThatDoNotLinkAreReportedWithTheJavaVersionAndTheMissingMethod() {
        assertThat(VectorKernelLoader.load(UNLINKABLE, Runnable.class)).isNull();

        assertThat(VectorKernelLoader.whyNotUsable(UNLINKABLE, failureOf(UNLINKABLE)))
                .startsWith(UNLINKABLE + " is not usable on Java " + Runtime.version())
                .contains("NoSuchMethodError: 'jdk.incubator.vector.IntVector jdk.incubator.vector.IntVector.fromByteBuffer()'")
                .contains("falls back to slower kernels")
                .doesNotContain("\n");
    }

    @Test
    void aMissingClassIsReportedToo() {
        String missing = "dev.safelora.projection.NoSuchKernels";

        assertThat(VectorKernelLoader.load(missing, Runnable.class)).isNull();
        assertThat(VectorKernelLoader.whyNotUsable(missing, failureOf(missing)))
                .contains("NoSuchKernels").contains("ClassNotFoundException");
    }

    @Test
    void kernelsThatLinkLoad() {
        assertThat(VectorKernelLoader.load(VectorKernelLoaderTest.class.getName() + "$Linkable", Runnable.class))
                .isInstanceOf(Linkable.class);
    }

    @Test
    void theProductsKernelsLinkOnJava17() {
        assumeTrue(Runtime.version().feature() == 17, "the kernels are written for Java 17's Vector API");
        assumeTrue(Bf16Kernels.enabled(), "the Vector API module is not in this JVM's boot layer");

        assertThat(Bf16Kernels.available()).isNotNull();
        assertThat(FloatKernels.available()).isNotNull();
    }
}
