package dev.safelora.alignment;

import dev.safelora.adapter.ModuleNames;
import dev.safelora.tensor.SafetensorsFile;
import dev.safelora.tensor.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A stored alignment artifact ({@code alignment.json} + {@code alignment.safetensors}), read one module at a time. */
public final class AlignmentArtifact implements AlignmentSource {

    private final AlignmentManifest manifest;
    private final SafetensorsFile tensors;
    private final Map<String, AlignmentManifest.Module> modules;

    private AlignmentArtifact(AlignmentManifest manifest, SafetensorsFile tensors, Map<String, AlignmentManifest.Module> modules) {
        this.manifest = manifest;
        this.tensors = tensors;
        this.modules = modules;
    }

    /** Opens an artifact directory and checks the manifest against the tensors file. */
    public static AlignmentArtifact open(Path dir) {
        Path manifestFile = dir.resolve(AlignmentManifest.FILE);
        if (!Files.isRegularFile(manifestFile)) {
            throw new IllegalArgumentException(dir + ": not an alignment artifact (no " + AlignmentManifest.FILE + ")");
        }
        AlignmentManifest manifest = Aligner.readManifest(manifestFile);
        if (!AlignmentManifest.FORMAT.equals(manifest.format()) || manifest.modules() == null) {
            throw new IllegalArgumentException(manifestFile + ": format is " + shown(manifest.format()) + ", expected " + AlignmentManifest.FORMAT);
        }
        boolean layoutKnown = manifest.version() == 1 ? manifest.layout() == null
                : manifest.version() == AlignmentManifest.VERSION
                        && (AlignmentManifest.ROWS.equals(manifest.layout()) || AlignmentManifest.TRANSPOSED.equals(manifest.layout()));
        if (!layoutKnown) {
            throw new IllegalArgumentException(manifestFile + ": version " + manifest.version() + " with layout " + shown(manifest.layout())
                    + " is not one this build reads (version 1 without a layout, or " + AlignmentManifest.VERSION + " with \""
                    + AlignmentManifest.ROWS + "\" or \"" + AlignmentManifest.TRANSPOSED + "\")");
        }
        String file = manifest.tensorsFile() == null ? AlignmentManifest.TENSORS : manifest.tensorsFile();
        if (file.contains("/") || file.contains("\\")) {
            throw new IllegalArgumentException(manifestFile + ": tensors file \"" + file + "\" must be a plain file name");
        }
        SafetensorsFile tensors = SafetensorsFile.open(dir.resolve(file));
        try {
            List<String> problems = new ArrayList<>();
            List<AlignmentManifest.Module> sorted = new ArrayList<>(manifest.modules());
            sorted.sort((x, y) -> ModuleNames.NATURAL_ORDER.compare(x.name(), y.name()));
            Map<String, AlignmentManifest.Module> byName = new LinkedHashMap<>();
            for (AlignmentManifest.Module m : sorted) {
                if (!tensors.contains(m.name())) {
                    problems.add("\"" + m.name() + "\" is missing from " + file);
                    continue;
                }
                TensorInfo info = tensors.info(m.name());
                long first = manifest.transposed() ? m.cols() : m.rows();
                long second = manifest.transposed() ? m.rows() : m.cols();
                if (info.rank() != 2 || info.dim(0) != first || info.dim(1) != second || !info.dtype().isFloatingPoint()) {
                    problems.add("\"" + m.name() + "\" is " + info.dtype() + java.util.Arrays.toString(info.shape()) + " in " + file
                            + " but " + m.rows() + "x" + m.cols() + " in the manifest"
                            + (manifest.transposed() ? " (stored transposed: " + m.cols() + "x" + m.rows() + ")" : ""));
                    continue;
                }
                byName.put(m.name(), m);
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(dir + ": alignment manifest and tensors disagree: " + String.join("; ", problems));
            }
            return new AlignmentArtifact(manifest, tensors, byName);
        } catch (RuntimeException e) {
            tensors.close();
            throw e;
        }
    }

    /** A word from the manifest for an error message: as it is when short and plain, else not repeated. */
    private static String shown(String value) {
        return value == null || value.matches("[A-Za-z0-9_.-]{1,40}") ? String.valueOf(value) : "(an unrecognised value)";
    }

    public AlignmentManifest manifest() {
        return manifest;
    }

    @Override
    public List<String> modules() {
        return List.copyOf(modules.keySet());
    }

    @Override
    public boolean contains(String module) {
        return modules.containsKey(module);
    }

    @Override
    public ModuleShape shape(String module) {
        AlignmentManifest.Module m = entry(module);
        return new ModuleShape(m.rows(), m.cols());
    }

    /** Reads a module's V; the norm is recomputed from the stored values (exact for what projection uses). */
    @Override
    public AlignmentMatrix load(String module) {
        return load(module, null);
    }

    @Override
    public AlignmentMatrix load(String module, float[] reuse) {
        AlignmentManifest.Module m = entry(module);
        float[] v;
        if (manifest.transposed()) {
            v = readTransposed(module, m.rows(), m.cols(), reuse);
        } else {
            v = tensors.floats(module, reuse);
        }
        // one pass for the norm; a NaN or infinity anywhere makes it non-finite, and only then is the element looked for
        double norm = AlignmentMatrix.frobeniusNorm(v);
        if (!Double.isFinite(norm)) {
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new IllegalArgumentException(tensors.path() + ": alignment of \"" + module + "\" holds " + v[i] + " at element " + i);
                }
            }
        }
        return new AlignmentMatrix(module, m.rows(), m.cols(), v, norm);
    }

    /**
     * V (rows x cols) from its stored V^T, a block of stored rows (V's columns) at a time, each transposed into V's
     * columns: for small modules, the SUBSPACE remedy and JVMs without the bf16 kernels (the kernels read V^T as stored).
     * Nothing of the module's size is allocated besides V, which goes into {@code reuse} when that has its length.
     */
    private float[] readTransposed(String module, int rows, int cols, float[] reuse) {
        int n = rows * cols;
        float[] v = reuse != null && reuse.length == n ? reuse : new float[n];
        int perBlock = Math.max(1, TRANSPOSE_BLOCK / rows);
        float[] block = new float[Math.min(cols, perBlock) * rows];
        float[] columns = new float[block.length];
        for (int j0 = 0; j0 < cols; j0 += perBlock) {
            int width = Math.min(perBlock, cols - j0);
            tensors.floats(module, (long) j0 * rows, block, 0, width * rows);
            // block: V^T's rows j0.. (width x rows); columns: V's rows, each width long
            dev.safelora.tensor.Floats.transposeColumns(block, width, rows, 0, rows, columns);
            for (int i = 0; i < rows; i++) {
                System.arraycopy(columns, i * width, v, i * cols + j0, width);
            }
        }
        return v;
    }

    /** Values of V^T read and transposed at a time by {@link #readTransposed} (1 MiB of floats). */
    private static final int TRANSPOSE_BLOCK = 1 << 18;

    /**
     * A module stored as BF16 (the lossless dtype of bf16 checkpoints) as a reader of its bytes, which
     * the kernels call for blocks of stored rows (of V^T where the artifact stores it transposed); null for F32 and F16.
     */
    @Override
    public Bf16Alignment loadBf16(String module) {
        AlignmentManifest.Module m = entry(module);
        if (tensors.info(module).dtype() != dev.safelora.tensor.DType.BF16) {
            return null;
        }
        long rowBytes = 2L * (manifest.transposed() ? m.rows() : m.cols());
        return new Bf16Alignment(module, m.rows(), m.cols(), manifest.transposed(), null,
                (from, to, into) -> tensors.readBytes(module, from * rowBytes, into), tensors.path().toString());
    }

    @Override
    public String whyMissing(String module) {
        if (manifest.excluded() != null) {
            for (AlignmentManifest.Excluded e : manifest.excluded()) {
                if (e.name().equals(module)) {
                    return "excluded from the alignment: " + e.reason();
                }
            }
        }
        return null;
    }

    private AlignmentManifest.Module entry(String module) {
        AlignmentManifest.Module m = modules.get(module);
        if (m == null) {
            throw new IllegalArgumentException("no alignment for module \"" + module + "\"");
        }
        return m;
    }

    @Override
    public void close() {
        tensors.close();
    }
}
