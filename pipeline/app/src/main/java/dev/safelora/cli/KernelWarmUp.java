package dev.safelora.cli;

import dev.safelora.projection.FactoredProjection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The projection kernels' JIT warm-up (0.3-0.5 s of one core, benchmarks/README.md) on a daemon thread, started at most
 * once per kind of kernels and process. {@code project} starts it from {@link Main#main} on its raw arguments, before
 * picocli builds the command line and Jackson is first loaded, 0.4-0.8 s of class loading on the main thread; started from the
 * command instead, the warm-up only began after it.
 */
final class KernelWarmUp {

    /** The kernels a projection uses: those reading an artifact's bf16 V, or the float ones for everything else. */
    enum Kernels { BF16, FLOAT }

    private static final Set<Kernels> STARTED = ConcurrentHashMap.newKeySet();

    private KernelWarmUp() {
    }

    static void start(Kernels kernels) {
        if (STARTED.add(kernels)) {
            Runnable warmUp = kernels == Kernels.BF16 ? FactoredProjection::fastBf16Kernels : FactoredProjection::fastKernels;
            Thread thread = new Thread(warmUp, "kernel-warm-up");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Starts the warm-up {@link #kernelsFor} names for this command line, if any. */
    static void startFor(String[] args) {
        Kernels kernels = kernelsFor(args);
        if (kernels != null) {
            start(kernels);
        }
    }

    /**
     * For a {@code project} command line, unparsed: the kernels {@link ProjectCommand} will choose (bf16 for an
     * {@code --alignment} artifact unless the remedy is the subspace one); null for other commands and for command
     * lines read from an {@code @file}, which this does not open (the command then starts its warm-up itself). A
     * command line that then does not parse costs only the warm-up's thread.
     */
    static Kernels kernelsFor(String[] args) {
        if (args.length == 0 || !args[0].equals("project")) {
            return null;
        }
        boolean artifact = false;
        boolean subspace = false;
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            if (arg.startsWith("@")) {
                return null;
            }
            String next = i + 1 < args.length ? args[i + 1] : "";
            artifact |= arg.equals("--alignment") || arg.startsWith("--alignment=");
            subspace |= isSubspace(arg, "--remedy", next) || isSubspace(arg, "--mode", next);
        }
        return artifact && !subspace ? Kernels.BF16 : Kernels.FLOAT;
    }

    /** Whether {@code arg} (and the one after it) set {@code option} to subspace, as the enum converter reads it. */
    private static boolean isSubspace(String arg, String option, String next) {
        String value = arg.equals(option) ? next : arg.startsWith(option + "=") ? arg.substring(option.length() + 1) : null;
        return value != null && value.strip().equalsIgnoreCase("subspace");
    }
}
