package dev.safelora.model;

import java.util.List;
import java.util.Locale;

/**
 * The compute device is missing or has failed (no usable GPU, a CUDA error, device out of memory): a fault
 * of the node or the process, never of the job that happened to run. A CUDA error can leave the context
 * unusable for the rest of the process, so the caller should stop the process (after checkpointing what it
 * can) and let a fresh one redo the work, rather than retry in place or blame the input.
 */
public final class DeviceFailure extends RuntimeException {

    /** What libtorch and the CUDA runtime put in the messages of device errors (c10::Error, CUDA, cuBLAS, cuDNN, NCCL). */
    private static final List<String> MARKERS = List.of("cuda error", "cuda out of memory", "outofmemoryerror",
            "cublas_status", "cudnn_status", "cudnn error", "device-side assert", "an illegal memory access",
            "unspecified launch failure", "nccl error", "cuda driver", "no cuda gpus are available",
            "cuda-capable device", "cudaerror");

    public DeviceFailure(String message, Throwable cause) {
        super(message, cause);
    }

    public DeviceFailure(String message) {
        super(message);
    }

    /** Whether {@code t} or one of its causes is a device failure, or a libtorch error that a CUDA failure raised. */
    public static boolean isDeviceFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof DeviceFailure) {
                return true;
            }
            String m = c.getMessage();
            if (m != null) {
                String lower = m.toLowerCase(Locale.ROOT);
                for (String marker : MARKERS) {
                    if (lower.contains(marker)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** {@code t} itself when it is one, else a {@link DeviceFailure} naming {@code what} failed on {@code device}. */
    public static DeviceFailure of(Throwable t, String what, ComputeDevice device) {
        if (t instanceof DeviceFailure d) {
            return d;
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().lines().findFirst().orElse("");
        return new DeviceFailure(what + " failed on " + device + ": " + m, t);
    }
}
