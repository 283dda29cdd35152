package dev.safelora.alignment;

import java.util.List;

/**
 * The JSON manifest of an alignment artifact ({@code alignment.json}).
 *
 * @param difference {@code as-peft} (V rounded to the checkpoints' 16-bit dtype, as PEFT computes it) or {@code exact}
 * @param layout {@value #ROWS} (each tensor is V, rows x cols) or {@value #TRANSPOSED} (each tensor is V^T, cols x rows:
 *     what the bf16 kernels read in one pass, see {@code FactoredProjection}); version 1 manifests have none and mean rows
 * @param tensorsFile the safetensors file (in the same directory) holding each module's V under its module name
 */
public record AlignmentManifest(String format, int version, String dtype, String difference, String layout, String tensorsFile,
                                List<String> targets, Source base, Source aligned, List<Module> modules, List<Excluded> excluded) {

    public static final String FORMAT = "safelora-alignment";

    /** The version this code writes; it reads 1 (V as rows, no layout field) and 2. */
    public static final int VERSION = 2;

    public static final String ROWS = "rows";
    public static final String TRANSPOSED = "transposed";
    public static final String FILE = "alignment.json";
    public static final String TENSORS = "alignment.safetensors";

    /** Whether each tensor holds V^T (cols x rows) rather than V; checked by {@code AlignmentArtifact.open}. */
    public boolean transposed() {
        return TRANSPOSED.equals(layout);
    }

    /** A checkpoint the alignment was computed from, with the sha256 of each of its files. */
    public record Source(String path, List<SourceFile> files) {
    }

    public record SourceFile(String file, long bytes, String sha256) {
    }

    /** One module's V: {@code layer} is -1 when the name has no layer index. */
    public record Module(String name, int layer, int rows, int cols, double frobeniusNorm) {
    }

    /** A target module left out of the artifact, and why (e.g. its V is zero). */
    public record Excluded(String name, String reason) {
    }
}
