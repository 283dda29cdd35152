package dev.safelora.projection;

import org.slf4j.LoggerFactory;

/**
 * Loads a vectorised kernel class by name and says why when it cannot. The kernels are written against the Vector API
 * of Java 17 ({@code jdk.incubator.vector}), an incubator module whose API changes between releases: on Java 25 the
 * ByteBuffer loads the bf16 kernels use are gone, so their class fails to link there. Such a failure used to be
 * silent, and projection ran on slower kernels with nothing to tell why; now it is logged once, as a warning, and kept
 * for the callers that report which kernels ran.
 */
final class VectorKernelLoader {

    /** The kernels, or null with the reason they are not in use (null too where they were not asked for). */
    record Loaded<T>(T kernels, String unavailable) {
    }

    private VectorKernelLoader() {
    }

    /**
     * An instance of {@code className} (a {@code type} with a no-argument constructor), or the reason none could be made:
     * a class that does not link, a constructor that throws. The reason is logged at WARN.
     */
    static <T> Loaded<T> load(String className, Class<T> type) {
        try {
            return new Loaded<>(type.cast(Class.forName(className).getDeclaredConstructor().newInstance()), null);
        } catch (ReflectiveOperationException | LinkageError e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException && e.getCause() != null ? e.getCause() : e;
            String why = className + " is not usable on Java " + Runtime.version() + " (" + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage())
                    + "); the kernels are written for the Vector API of Java 17, so projection falls back to slower kernels";
            // the logger only here: getting it at class initialisation started the logging framework (0.1-0.2 s) on
            // the kernels' warm-up thread, before the warm-up itself
            LoggerFactory.getLogger(VectorKernelLoader.class).warn(why);
            return new Loaded<>(null, why);
        }
    }
}
