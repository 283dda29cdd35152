package dev.safelora.alignment;

/** Receives progress of long per-module work (for example to print it on stderr). */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total, what) -> { };

    /** Called after {@code done} of {@code total} steps; {@code what} names the step just finished. */
    void step(int done, int total, String what);
}
