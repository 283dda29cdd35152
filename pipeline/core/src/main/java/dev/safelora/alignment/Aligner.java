package dev.safelora.alignment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.safelora.adapter.ModuleNames;
import dev.safelora.files.Digests;
import dev.safelora.tensor.DType;
import dev.safelora.tensor.SafetensorsStreamWriter;
import dev.safelora.tensor.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Computes the alignment artifact of a (base, aligned) checkpoint pair, streaming one module at a
 * time: each module's V goes to {@code alignment.safetensors} as soon as it is computed, so memory
 * holds a module's worth, never a model's. Checksums of the source files are computed alongside.
 *
 * <p>A BF16 artifact stores each V transposed (layout {@value AlignmentManifest#TRANSPOSED}): a block of V^T's rows is a
 * block of V's columns, and {@code V V^T B} summed over such blocks needs each block once, so projection reads V once
 * instead of twice (benchmarks/README.md). F32 and F16 artifacts store V as it is (their kernels read floats).
 */
public final class Aligner {

    /** What to do with a module whose V is exactly zero (the aligned weight equals the base). */
    public enum OnZero { EXCLUDE, FAIL }

    /**
     * @param storeAs the artifact's dtype, or null for the narrowest lossless one: the checkpoints' own
     *                16-bit dtype when V is computed as PEFT does (then every V is exactly representable in it,
     *                and the artifact is half the size of F32), F32 otherwise
     * @param difference how V is computed from 16-bit checkpoints (see {@link CheckpointPair.Difference})
     */
    public record Options(DType storeAs, OnZero onZero, CheckpointPair.Difference difference) {
        public Options {
            if (storeAs != null && !storeAs.isFloatingPoint()) {
                throw new IllegalArgumentException("the alignment can be stored as F32, F16 or BF16, not " + storeAs);
            }
            java.util.Objects.requireNonNull(difference);
        }

        public Options(DType storeAs, OnZero onZero) {
            this(storeAs, onZero, CheckpointPair.Difference.AS_PEFT);
        }

        public static Options defaults() {
            return new Options(null, OnZero.EXCLUDE);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Aligner() {
    }

    /** Aligns two checkpoint directories into {@code outDir} and returns the manifest written. */
    public static AlignmentManifest align(Path baseDir, Path alignedDir, Set<String> targets, Path outDir, Options options,
                                          Progress progress) {
        try (CheckpointPair pair = CheckpointPair.open(baseDir, alignedDir, targets)) {
            return align(pair, targets, outDir, options, progress);
        }
    }

    public static AlignmentManifest align(CheckpointPair pair, Set<String> targets, Path outDir, Options options, Progress progress) {
        pair.difference(options.difference());
        CompletableFuture<AlignmentManifest.Source> baseSums = CompletableFuture.supplyAsync(() -> describe(pair.base().path(), pair.base().files()));
        CompletableFuture<AlignmentManifest.Source> alignedSums =
                CompletableFuture.supplyAsync(() -> describe(pair.aligned().path(), pair.aligned().files()));
        List<String> modules = pair.modules();
        DType storeAs = options.storeAs() != null ? options.storeAs() : losslessDType(pair, options.difference());
        boolean transposed = storeAs == DType.BF16;
        List<TensorSpec> plan = new ArrayList<>();
        for (String m : modules) {
            ModuleShape s = pair.shape(m);
            plan.add(storedSpec(m, s, storeAs, transposed));
        }
        List<AlignmentManifest.Module> written = new ArrayList<>();
        List<AlignmentManifest.Excluded> excluded = new ArrayList<>();
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw new UncheckedIOException(outDir + ": cannot create: " + e.getMessage(), e);
        }
        Path tensors = outDir.resolve(AlignmentManifest.TENSORS);
        try (SafetensorsStreamWriter out = SafetensorsStreamWriter.create(tensors, Map.of("format", AlignmentManifest.FORMAT), plan)) {
            int done = 0;
            // V is written before the next module is loaded: one array per module size serves the whole run
            dev.safelora.tensor.FloatArrayPool buffers = new dev.safelora.tensor.FloatArrayPool();
            for (String module : modules) {
                ModuleShape shape = pair.shape(module);
                AlignmentMatrix v = pair.load(module, buffers.take((long) shape.rows() * shape.cols()));
                if (v.frobeniusNorm() == 0) {
                    if (options.onZero() == OnZero.FAIL) {
                        throw new IllegalArgumentException("module " + module
                                + ": V = aligned - base is zero (the aligned weight equals the base), so it has no alignment direction");
                    }
                    excluded.add(new AlignmentManifest.Excluded(module, "V is zero: the aligned weight equals the base weight"));
                } else {
                    append(out, v, storeAs, transposed);
                    written.add(new AlignmentManifest.Module(module, ModuleNames.layerIndex(module).orElse(-1), v.rows(), v.cols(),
                            v.frobeniusNorm()));
                }
                buffers.give(v.v());
                progress.step(++done, modules.size(), module);
            }
            if (written.isEmpty()) {
                throw new IllegalArgumentException("every target module has a zero V (" + excluded.size()
                        + " modules): the aligned checkpoint equals the base for " + targets);
            }
            AlignmentManifest manifest = new AlignmentManifest(AlignmentManifest.FORMAT, AlignmentManifest.VERSION, storeAs.safetensorsName(),
                    options.difference() == CheckpointPair.Difference.EXACT ? "exact" : "as-peft",
                    transposed ? AlignmentManifest.TRANSPOSED : AlignmentManifest.ROWS, AlignmentManifest.TENSORS,
                    List.copyOf(targets.stream().sorted().toList()), baseSums.join(), alignedSums.join(), written, excluded);
            out.finish();
            writeManifest(outDir, manifest);
            return manifest;
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** A module's V as the tensors file plans it: shape {@code [cols, rows]} when the layout is transposed. */
    public static TensorSpec storedSpec(String module, ModuleShape shape, DType storeAs, boolean transposed) {
        return new TensorSpec(module, storeAs, transposed ? new long[] {shape.cols(), shape.rows()} : new long[] {shape.rows(), shape.cols()});
    }

    /** Appends a module's V to the tensors file as the layout stores it (V^T when transposed). */
    public static void append(SafetensorsStreamWriter out, AlignmentMatrix v, DType storeAs, boolean transposed) {
        if (transposed) {
            out.appendTransposed(v.module(), v.v(), v.rows(), v.cols(), storeAs);
        } else {
            out.appendFloats(v.module(), new long[] {v.rows(), v.cols()}, v.v(), storeAs);
        }
    }

    /** The 16-bit dtype every target weight of both checkpoints shares when V is rounded to it (as PEFT), else F32. */
    static DType losslessDType(CheckpointPair pair, CheckpointPair.Difference difference) {
        if (difference != CheckpointPair.Difference.AS_PEFT) {
            return DType.F32;
        }
        java.util.Set<DType> seen = new java.util.HashSet<>();
        for (String m : pair.modules()) {
            String weight = TargetModules.weightOf(m);
            seen.add(pair.base().info(weight).dtype());
            seen.add(pair.aligned().info(weight).dtype());
        }
        if (seen.size() == 1) {
            DType only = seen.iterator().next();
            if (only == DType.BF16 || only == DType.F16) {
                return only;
            }
        }
        return DType.F32;
    }

    private static AlignmentManifest.Source describe(Path dir, List<Path> files) {
        // shards hash in parallel (the common pool), in the files' order
        List<AlignmentManifest.SourceFile> out = files.parallelStream().map(f -> {
            try {
                return new AlignmentManifest.SourceFile(f.getFileName().toString(), Files.size(f), Digests.fileSha256(f));
            } catch (IOException e) {
                throw new UncheckedIOException(f + ": cannot read for checksum: " + e.getMessage(), e);
            }
        }).toList();
        return new AlignmentManifest.Source(dir.toAbsolutePath().normalize().toString(), out);
    }

    static void writeManifest(Path outDir, AlignmentManifest manifest) {
        Path tmp = outDir.resolve(AlignmentManifest.FILE + ".partial");
        try {
            JSON.writeValue(tmp.toFile(), manifest);
            Files.move(tmp, outDir.resolve(AlignmentManifest.FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(outDir + ": cannot write " + AlignmentManifest.FILE + ": " + e.getMessage(), e);
        }
    }

    static AlignmentManifest readManifest(Path file) {
        try {
            return JSON.readValue(file.toFile(), AlignmentManifest.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a valid alignment manifest: " + dev.safelora.files.StrictJson.reason(e), e);
        }
    }
}
