package dev.safelora.alignment;

import dev.safelora.tensor.Checkpoint;
import dev.safelora.tensor.HalfFloats;
import dev.safelora.tensor.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A (base, aligned) checkpoint pair restricted to the target modules, checked up front from the
 * headers alone (both sides have every target, same 2-D shapes), and able to compute each
 * module's {@code V = W_aligned - W_base} on demand, one module at a time.
 *
 * <p>By default V is rounded to the checkpoints' dtype when both store the same 16-bit float type,
 * because that is what PEFT's {@code apply_safelora} computes (torch subtracts two bf16 tensors in
 * bf16); cosines then agree with PEFT to the 5 decimals it selects on. {@link Difference#EXACT}
 * keeps the exact float difference instead.
 */
public final class CheckpointPair implements AlignmentSource {

    private final Checkpoint base;
    private final Checkpoint aligned;
    private final Map<String, ModuleShape> shapes;
    private final boolean owned;
    private Difference difference = Difference.AS_PEFT;

    /** How V is computed from two 16-bit checkpoints. */
    public enum Difference {
        /** Rounded to the checkpoints' common dtype (BF16 or F16), as torch and PEFT compute it. */
        AS_PEFT,
        /** The exact difference in float. */
        EXACT
    }

    private CheckpointPair(Checkpoint base, Checkpoint aligned, Map<String, ModuleShape> shapes, boolean owned) {
        this.base = base;
        this.aligned = aligned;
        this.shapes = shapes;
        this.owned = owned;
    }

    /** Opens both checkpoint directories; closing the pair closes them. */
    public static CheckpointPair open(java.nio.file.Path baseDir, java.nio.file.Path alignedDir, Set<String> targets) {
        Checkpoint b = Checkpoint.open(baseDir);
        try {
            Checkpoint a = Checkpoint.open(alignedDir);
            try {
                return of(b, a, targets, true);
            } catch (RuntimeException e) {
                a.close();
                throw e;
            }
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /**
     * @throws IllegalArgumentException listing every target missing on one side, every shape
     *     mismatch, and every target that is not a 2-D floating-point weight
     */
    public static CheckpointPair of(Checkpoint base, Checkpoint aligned, Set<String> targets, boolean closeCheckpoints) {
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no target modules given");
        }
        List<String> inBase = TargetModules.find(base.names(), targets);
        List<String> inAligned = TargetModules.find(aligned.names(), targets);
        Set<String> all = new TreeSet<>(dev.safelora.adapter.ModuleNames.NATURAL_ORDER);
        all.addAll(inBase);
        all.addAll(inAligned);
        if (all.isEmpty()) {
            throw new CheckpointMismatchException(CheckpointMismatchException.Kind.MISSING_MODULE,
                    "no weights of the target modules " + targets + " in " + base.path() + " or " + aligned.path());
        }
        List<String> problems = new ArrayList<>();
        java.util.EnumSet<CheckpointMismatchException.Kind> kinds = java.util.EnumSet.noneOf(CheckpointMismatchException.Kind.class);
        Map<String, ModuleShape> shapes = new LinkedHashMap<>();
        for (String module : all) {
            String weight = TargetModules.weightOf(module);
            if (!base.contains(weight)) {
                problems.add("\"" + weight + "\" missing from the base checkpoint " + base.path());
                kinds.add(CheckpointMismatchException.Kind.MISSING_MODULE);
                continue;
            }
            if (!aligned.contains(weight)) {
                problems.add("\"" + weight + "\" missing from the aligned checkpoint " + aligned.path());
                kinds.add(CheckpointMismatchException.Kind.MISSING_MODULE);
                continue;
            }
            TensorInfo b = base.info(weight);
            TensorInfo a = aligned.info(weight);
            if (!Arrays.equals(b.shape(), a.shape())) {
                problems.add("\"" + weight + "\" has shape " + Arrays.toString(b.shape()) + " in the base but " + Arrays.toString(a.shape())
                        + " in the aligned checkpoint");
                kinds.add(CheckpointMismatchException.Kind.SHAPE_MISMATCH);
                continue;
            }
            if (b.rank() != 2 || !b.dtype().isFloatingPoint() || !a.dtype().isFloatingPoint()) {
                problems.add("\"" + weight + "\" is " + b.dtype() + Arrays.toString(b.shape()) + ", not a 2-D F32/F16/BF16 weight");
                kinds.add(CheckpointMismatchException.Kind.UNSUPPORTED_WEIGHT);
                continue;
            }
            if (b.numel() > Integer.MAX_VALUE - 8) {
                problems.add("\"" + weight + "\" has " + b.numel() + " elements, too many for one array");
                kinds.add(CheckpointMismatchException.Kind.UNSUPPORTED_WEIGHT);
                continue;
            }
            shapes.put(module, new ModuleShape((int) b.dim(0), (int) b.dim(1)));
        }
        if (!problems.isEmpty()) {
            throw new CheckpointMismatchException(kinds.iterator().next(),
                    "base and aligned checkpoints do not match: " + String.join("; ", problems));
        }
        return new CheckpointPair(base, aligned, java.util.Collections.unmodifiableMap(shapes), closeCheckpoints);
    }

    /** Chooses how V is computed (default {@link Difference#AS_PEFT}); returns this pair. */
    public CheckpointPair difference(Difference mode) {
        this.difference = java.util.Objects.requireNonNull(mode);
        return this;
    }

    public Checkpoint base() {
        return base;
    }

    public Checkpoint aligned() {
        return aligned;
    }

    @Override
    public List<String> modules() {
        return List.copyOf(shapes.keySet());
    }

    @Override
    public boolean contains(String module) {
        return shapes.containsKey(module);
    }

    @Override
    public ModuleShape shape(String module) {
        ModuleShape s = shapes.get(module);
        if (s == null) {
            throw new IllegalArgumentException("no alignment for module \"" + module + "\"");
        }
        return s;
    }

    /**
     * Computes {@code V = W_aligned - W_base} for one module.
     *
     * @throws CheckpointMismatchException when either weight holds NaN or Inf, or the difference overflows
     */
    @Override
    public AlignmentMatrix load(String module) {
        return load(module, null);
    }

    /**
     * As {@link #load(String)}, V into {@code reuse}. The aligned weights are read whole into V; the base weights
     * are read in blocks of {@link #BLOCK} elements (in parallel) and subtracted in place, so memory holds V and a
     * block per thread, never a second module-sized array (at 70B shapes that is 256 MiB less per q_proj).
     */
    @Override
    public AlignmentMatrix load(String module, float[] reuse) {
        ModuleShape shape = shape(module);
        String weight = TargetModules.weightOf(module);
        float[] v = aligned.floats(weight, reuse);
        dev.safelora.tensor.DType dtype = base.info(weight).dtype();
        boolean round = difference == Difference.AS_PEFT && dtype == aligned.info(weight).dtype()
                && (dtype == dev.safelora.tensor.DType.BF16 || dtype == dev.safelora.tensor.DType.F16);
        boolean bf16 = dtype == dev.safelora.tensor.DType.BF16;
        int blocks = (v.length + BLOCK - 1) / BLOCK;
        // per block, the first element whose difference is not finite (its index, base and aligned values), else null
        NonFiniteAt[] bad = new NonFiniteAt[blocks];
        java.util.stream.IntStream range = java.util.stream.IntStream.range(0, blocks);
        (blocks > 1 ? range.parallel() : range).forEach(k -> {
            int from = k * BLOCK;
            int n = Math.min(BLOCK, v.length - from);
            float[] w0 = BASE_BLOCK.get();
            base.floats(weight, from, w0, 0, n);
            for (int j = 0; j < n; j++) {
                int i = from + j;
                float d = v[i] - w0[j];
                if (round) {
                    d = bf16 ? HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(d)) : HalfFloats.f16ToFloat(HalfFloats.floatToF16(d));
                }
                if (!Float.isFinite(d)) {
                    bad[k] = new NonFiniteAt(i, w0[j], v[i]);
                    return;
                }
                v[i] = d;
            }
        });
        for (NonFiniteAt b : bad) {
            if (b != null) {
                throw nonFinite(weight, b.index(), b.base(), b.aligned());
            }
        }
        return new AlignmentMatrix(module, shape.rows(), shape.cols(), v, AlignmentMatrix.frobeniusNorm(v));
    }

    private record NonFiniteAt(int index, float base, float aligned) {
    }

    /** Base-weight elements read and subtracted at a time (4 MiB of floats per thread). */
    private static final int BLOCK = 1 << 20;

    private static final ThreadLocal<float[]> BASE_BLOCK = ThreadLocal.withInitial(() -> new float[BLOCK]);

    private CheckpointMismatchException nonFinite(String weight, int index, float baseValue, float alignedValue) {
        String where = " at element " + index;
        CheckpointMismatchException.Kind kind = CheckpointMismatchException.Kind.NON_FINITE_WEIGHTS;
        if (!Float.isFinite(baseValue)) {
            return new CheckpointMismatchException(kind, "\"" + weight + "\" in the base checkpoint " + base.path() + " holds " + baseValue + where);
        }
        if (!Float.isFinite(alignedValue)) {
            return new CheckpointMismatchException(kind, "\"" + weight + "\" in the aligned checkpoint " + aligned.path() + " holds "
                    + alignedValue + where);
        }
        return new CheckpointMismatchException(kind, "\"" + weight + "\": aligned minus base overflows float" + where);
    }

    @Override
    public void close() {
        if (owned) {
            base.close();
            aligned.close();
        }
    }
}
