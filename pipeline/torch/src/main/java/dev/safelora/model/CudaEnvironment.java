package dev.safelora.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.global.torch;

/**
 * What a CUDA node offers this process, for messages that name the likely cause of "no GPU": the NVIDIA kernel
 * driver's version (from {@code /proc/driver/nvidia/version}, present when the driver is loaded and the device
 * is mounted into the container), the CUDA runtime this build bundles, and whether the libtorch in use was built
 * with CUDA at all.
 */
public record CudaEnvironment(Optional<String> driverVersion, boolean cudaBuild, int deviceCount) {

    /**
     * The CUDA runtime of the {@code -Pgpu} build: the Bytedeco CUDA presets 13.1-9.19 (cuDNN 9.19) that
     * libtorch 2.10's CUDA build links. CUDA 13.x needs an NVIDIA driver of branch 580 or newer.
     */
    public static final String BUNDLED_RUNTIME = "13.1";
    public static final int MIN_DRIVER_BRANCH = 580;

    private static final Path DRIVER_FILE = Path.of("/proc/driver/nvidia/version");
    private static final Pattern DRIVER_VERSION = Pattern.compile("Kernel Module(?: for [^ ]+)?\\s+([0-9]+(?:\\.[0-9]+)+)");

    /** Reads the environment; never throws. */
    public static CudaEnvironment probe() {
        boolean build;
        int count;
        try {
            build = torch.hasCUDA();
            count = build && torch.cuda_is_available() ? torch.cuda_device_count() : 0;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            build = false;
            count = 0;
        }
        return new CudaEnvironment(driverVersion(DRIVER_FILE), build, count);
    }

    static Optional<String> driverVersion(Path file) {
        try {
            return parseDriverVersion(Files.readString(file));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The version in a {@code /proc/driver/nvidia/version} text ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.86.15 ..."). */
    static Optional<String> parseDriverVersion(String text) {
        Matcher m = DRIVER_VERSION.matcher(text);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** One clause naming driver and runtime, e.g. "NVIDIA driver 535.104.05, CUDA runtime 13.1 bundled (needs driver >= 580)". */
    public String versions() {
        return "NVIDIA driver " + driverVersion.orElse("not loaded (no /proc/driver/nvidia/version)") + ", CUDA runtime "
                + BUNDLED_RUNTIME + " bundled (needs driver >= " + MIN_DRIVER_BRANCH + ")"
                + (cudaBuild ? "" : ", libtorch without CUDA (CPU build; build with -Pgpu)");
    }

    /** The likely reason CUDA is unusable, for the one-line refusal. */
    public String likelyCause() {
        if (!cudaBuild) {
            return "this build carries the CPU-only libtorch (build with -Pgpu, or use the CUDA image)";
        }
        if (driverVersion.isEmpty()) {
            return "no NVIDIA driver is visible (no GPU on this node, or the container was started without the GPU"
                    + " runtime: nvidia-container-toolkit, a runtimeClassName or a nvidia.com/gpu limit)";
        }
        int branch = branch(driverVersion.get());
        if (branch > 0 && branch < MIN_DRIVER_BRANCH) {
            return "the driver " + driverVersion.get() + " is older than the CUDA " + BUNDLED_RUNTIME
                    + " runtime this build bundles needs (branch " + MIN_DRIVER_BRANCH + " or newer)";
        }
        return "the driver is loaded but the device does not answer (check nvidia-smi on the node, or a device plugin"
                + " that did not mount the GPU)";
    }

    private static int branch(String version) {
        try {
            return Integer.parseInt(version.substring(0, version.indexOf('.') < 0 ? version.length() : version.indexOf('.')));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
