package dev.safelora.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident set from Linux's /proc/self/status: now (VmRSS) and its peak since the process
 * started (VmHWM, what {@code /usr/bin/time -v} reports as maximum resident set size). Reads 0 where /proc is not
 * there.
 */
final class ResidentSet {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ResidentSet() {
    }

    static long currentKb() {
        return field("VmRSS:");
    }

    static long peakKb() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).replace("kB", "").trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
