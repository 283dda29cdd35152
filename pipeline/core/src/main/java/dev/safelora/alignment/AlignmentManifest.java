package dev.safelora.alignment;

import java.util.List;

/**
 * The JSON manifest of an alignment artifact ({@code alignment.json}).
 *
 * @param difference {@code as-peft} (V rounded to the checkpoints' 16-bit dtype, as PEFT computes it) or {@code exact}
 * @param tensorsFile the safetensors file (in the same directory) holding each module's V under its module name
 */
public record AlignmentManifest(String format, int version, String dtype, String difference, String tensorsFile, List<String> targets,
                                Source base, Source aligned, List<Module> modules, List<Excluded> excluded) {

    public static final String FORMAT = "safelora-alignment";
    public static final String FILE = "alignment.json";
    public static final String TENSORS = "alignment.safetensors";

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
