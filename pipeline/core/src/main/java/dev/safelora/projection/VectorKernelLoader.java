package dev.safelora.projection;

import org.slf4j.LoggerFactory;

/**
 * Loads a vectorised kernel class by name and says why when it cannot. The kernels are written against the Vector API
 * of Java 17 ({@code jdk.incubator.vector}), an incubator module whose API changes between releases: on Java 25 the
 * ByteBuffer loads the bf16 kernels use are gone, so their class fails to link there. Such a failure used to be
 * silent, and projection ran on slower kernels with nothing to tell why; now it is logged once, as a warning.
 */
final class VectorKernelLoader {

    private VectorKernelLoader() {
    }

    /**
     * An instance of {@code className} (a {@code type} with a no-argument constructor), or null when none could be made
     * (a class that does not link, a constructor that throws): then {@link #whyNotUsable} is logged at WARN.
     */
    static <T> T load(String className, Class<T> type) {
        try {
            return type.cast(Class.forName(className).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            // the logger only here: getting it at class initialisation started the logging framework (0.1-0.2 s) on
            // the kernels' warm-up thread, before the warm-up itself
            LoggerFactory.getLogger(VectorKernelLoader.class).warn(whyNotUsable(className, e));
            return null;
        }
    }

    /** One line: the class, this Java's version, the error (the constructor's own where it threw) and what follows. */
    static String whyNotUsable(String className, Throwable e) {
        Throwable cause = e instanceof java.lang.reflect.InvocationTargetException && e.getCause() != null ? e.getCause() : e;
        return className + " is not usable on Java " + Runtime.version() + " (" + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage())
                + "); the kernels are written for the Vector API of Java 17, so projection falls back to slower kernels";
    }
}
