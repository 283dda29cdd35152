package dev.safelora.alignment;

import java.util.List;

/** Where projection gets each module's alignment matrix: a stored artifact or two checkpoints streamed on demand. */
public interface AlignmentSource extends AutoCloseable {

    /** The modules with an alignment matrix, in natural order. */
    List<String> modules();

    boolean contains(String module);

    /** The shape of a module's matrix without loading it. */
    ModuleShape shape(String module);

    /** Loads (or computes) one module's matrix. */
    AlignmentMatrix load(String module);

    /**
     * As {@link #load(String)}, but a source may fill {@code reuse} (when it has the module's size)
     * instead of allocating: the caller must be done with the previous matrix built on it.
     */
    default AlignmentMatrix load(String module, float[] reuse) {
        return load(module);
    }

    /**
     * A module's V as the bf16 bytes the source stores it in (read by the kernels as they need them),
     * or null when the source does not hold V as bf16 (then {@link #load(String, float[])} gives it as floats).
     */
    default Bf16Alignment loadBf16(String module) {
        return null;
    }

    /** Why a module has no matrix here, when the source knows (e.g. excluded because its V is zero); else null. */
    default String whyMissing(String module) {
        return null;
    }

    @Override
    void close();
}
