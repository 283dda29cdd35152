package dev.safelora.projection;

import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.ModuleNames;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.AlignmentMatrix;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.Bf16Alignment;
import dev.safelora.alignment.ModuleShape;
import dev.safelora.alignment.Progress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * SafeLoRA's projection of a LoRA adapter (PEFT {@code apply_safelora}), computed factored:
 * for every adapter module, with V from the alignment, {@code C B = V (V^T B) / ||V||_F}, the cosine
 * between {@code C B A} and {@code B A}, the selection, and {@code B := C B} for selected modules
 * (or another {@link Remedy} on the same selection).
 * Modules are matched by name, and only one alignment matrix is held at a time.
 */
public final class SafeLoraProjector {

    /** The projected adapter and the report. */
    public record Result(PeftAdapter adapter, ProjectionReport report) {
    }

    private SafeLoraProjector() {
    }

    private static final AtomicBoolean BOOKKEEPING_WARM = new AtomicBoolean();

    /**
     * Runs the per-module arithmetic around the kernels (widening B, A A^T, the r x r traces of the cosine, the signed
     * score, the distances) 300 times on a 64 x 64 module, once per process, so the JIT has compiled it before the first
     * real module. A command calls it on its own thread while the kernels' warm-up runs on another: in a new process the
     * first 16 modules' bookkeeping (4096 x 4096, r = 8) then took 14-15 ms in all instead of 31-36 ms, for 18-22 ms
     * spent here (benchmarks/README.md).
     */
    public static void warmUpBookkeeping() {
        if (!BOOKKEEPING_WARM.compareAndSet(false, true)) {
            return;
        }
        int m = 64;
        int n = 64;
        int r = 8;
        float[] b = new float[m * r];
        float[] a = new float[r * n];
        double[] btv = new double[r * n];
        java.util.Arrays.fill(b, 0.5f);
        java.util.Arrays.fill(a, 0.25f);
        java.util.Arrays.fill(btv, 0.125);
        double sink = 0;
        for (int call = 0; call < 300; call++) {
            double[] wide = FactoredProjection.widen(b);
            double[] g = FactoredProjection.gram(a, r, n);
            double inner = FactoredProjection.frobeniusInner(wide, wide, m, r, g);
            sink += FactoredProjection.cosine(inner, inner, inner) + FactoredProjection.distance(wide, wide)
                    + Remedies.signedScore(btv, a, FactoredProjection.norm(inner), 1) + FactoredProjection.narrow(wide)[call % m];
        }
        if (Double.isNaN(sink)) {
            throw new IllegalStateException("the bookkeeping warm-up computed NaN");
        }
    }

    public static Result project(PeftAdapter adapter, AlignmentSource alignment, Selection selection, Progress progress) {
        return project(adapter, alignment, selection, Remedy.PROJECT, 0, progress);
    }

    /**
     * As {@link #project(PeftAdapter, AlignmentSource, Selection, Progress)}, but with
     * {@code subspaceRank > 0} the selected modules get the {@link Remedy#SUBSPACE} remedy of that rank.
     */
    public static Result project(PeftAdapter adapter, AlignmentSource alignment, Selection selection, int subspaceRank,
                                 Progress progress) {
        return project(adapter, alignment, selection, subspaceRank > 0 ? Remedy.SUBSPACE : Remedy.PROJECT, subspaceRank, progress);
    }

    /**
     * Selects modules by SafeLoRA's cosine (the same set whatever the remedy) and applies {@code remedy} to
     * the selected ones. {@code subspaceRank} is the rank of the SUBSPACE projector; 0 means each module's
     * LoRA rank r (capped at {@code min(m, n)}); it must be 0 for the other remedies.
     */
    public static Result project(PeftAdapter adapter, AlignmentSource alignment, Selection selection, Remedy remedy,
                                 int subspaceRank, Progress progress) {
        return project(adapter, alignment, selection, remedy, subspaceRank, progress, FactoredProjection.threads());
    }

    /** As {@link #project(PeftAdapter, AlignmentSource, Selection, Remedy, int, Progress)}, on {@code threads} threads. */
    static Result project(PeftAdapter adapter, AlignmentSource alignment, Selection selection, Remedy remedy,
                          int subspaceRank, Progress progress, int threads) {
        if (subspaceRank < 0) {
            throw new IllegalArgumentException("subspace rank must be positive, got " + subspaceRank);
        }
        if (subspaceRank > 0 && remedy != Remedy.SUBSPACE) {
            throw new IllegalArgumentException("a subspace rank applies to the subspace remedy only, not " + remedy.cliName());
        }
        if (adapter.config().useDora()) {
            throw new IllegalArgumentException("DoRA adapters are not supported: SafeLoRA projects plain LoRA updates");
        }
        Map<String, LoraWeights> modules = adapter.modules();
        checkMatches(modules, alignment);
        Set<String> explicit = explicitModules(modules, selection);

        List<String> names = new ArrayList<>(modules.keySet());
        Outcome[] outcomes = new Outcome[names.size()];
        // V straight from its bf16 bytes where the alignment stores it so and the remedy needs no float V
        Bf16Alignment[] packed = new Bf16Alignment[names.size()];
        boolean allPacked = true;
        for (int i = 0; i < names.size(); i++) {
            LoraWeights w = modules.get(names.get(i));
            packed[i] = remedy != Remedy.SUBSPACE && FactoredProjection.bf16Kernels(w.out(), w.in())
                    ? alignment.loadBf16(names.get(i)) : null;
            allPacked &= packed[i] != null;
        }
        if (allPacked && names.size() >= MODULES_PER_THREAD * threads && FactoredProjection.fastBf16Kernels()) {
            projectModulesInParallel(names, modules, packed, remedy, threads, outcomes, progress);
        } else {
            // one float V array per module size for the whole run (GQA's q and v sizes alternate): nothing below keeps V
            // past its module (a bf16 V is read by the kernels block by block and needs none)
            dev.safelora.tensor.FloatArrayPool buffers = new dev.safelora.tensor.FloatArrayPool();
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                LoraWeights w = modules.get(name);
                if (packed[i] != null && FactoredProjection.fastBf16Kernels()) {
                    FactoredProjection.Bf16Products p = FactoredProjection.products(packed[i], w.b(), w.r(), threads);
                    outcomes[i] = outcome(w, p.btv(), p.cb(), p.norm(), null, remedy, 0);
                } else {
                    ModuleShape shape = alignment.shape(name);
                    AlignmentMatrix v = alignment.load(name, buffers.take((long) shape.rows() * shape.cols()));
                    buffers.give(v.v());
                    double norm = requireNonZero(name, v.frobeniusNorm());
                    FactoredProjection.Products p = FactoredProjection.products(v.v(), v.rows(), v.cols(), norm, w.b(), w.r());
                    outcomes[i] = outcome(w, p.btv(), p.cb(), norm, v, remedy, subspaceRank);
                }
                progress.step(i + 1, names.size(), name);
            }
        }
        List<ModuleResult> partial = new ArrayList<>();
        for (Outcome o : outcomes) {
            partial.add(o.result());
        }

        Set<String> chosen = choose(partial, selection, explicit);
        List<ModuleResult> results = new ArrayList<>();
        List<LoraWeights> out = new ArrayList<>();
        double dsum = 0;
        for (Outcome o : outcomes) {
            ModuleResult r = o.result();
            boolean projected = chosen.contains(r.name());
            double distance = projected ? o.distanceIfRemedied() : o.distanceIfKept();
            dsum += 1 / (1 + distance);
            results.add(new ModuleResult(r.name(), r.layer(), r.cosine(), r.exactCosine(), r.signedScore(), projected,
                    projected ? o.normRatioIfRemedied() : 1, r.alignmentNorm(), distance));
            LoraWeights w = modules.get(r.name());
            out.add(projected ? w.withB(o.remediedB()) : w);
        }
        ProjectionReport report = new ProjectionReport(
                selection.mode().cliName(), remedy.cliName(),
                selection.mode() == Selection.Mode.THRESHOLD ? selection.threshold() : null,
                selection.mode() == Selection.Mode.TOP_K ? selection.topK() : null,
                subspaceRank > 0 ? subspaceRank : null,
                selection.mode() == Selection.Mode.EXPLICIT && !selection.layers().isEmpty() ? selection.sortedLayers() : null,
                selection.mode() == Selection.Mode.EXPLICIT && !selection.modules().isEmpty()
                        ? selection.modules().stream().sorted(ModuleNames.NATURAL_ORDER).toList() : null,
                dsum / results.size(), chosen.size(), results);
        return new Result(adapter.withModules(out), report);
    }

    /** A module's numbers before the selection: its result as if not selected, and what selecting it would change. */
    private record Outcome(ModuleResult result, float[] remediedB, double distanceIfKept, double distanceIfRemedied,
                           double normRatioIfRemedied) {
    }

    /**
     * Modules per kernel thread from which a run projects whole modules side by side, one per thread, rather than each
     * module on all the threads in turn: with fewer, the last round would leave threads idle for longer than the
     * split modules lose (a module on one thread takes about as long as two on two).
     */
    static final int MODULES_PER_THREAD = 4;

    /**
     * Projects bf16 modules each on one thread, as many at a time as there are kernel threads, in module order. A module's
     * products and everything after them run on its thread, so the per-module arithmetic around the kernels, and the
     * time a thread would wait at the end of each module for the other's last row group, overlap with the other
     * modules' passes. Measured in one process, alternating with one module at a time on both threads (8 layers, 16 modules of
     * 4096 x 4096, r = 8, two threads): 86.7 against 105.7 ms per projection, medians of 20 (benchmarks/README.md). The
     * results are the same bits, since the kernels' results do not depend on their thread count. After a failure no
     * further module is started and the failure of the first module in order is thrown (every module before it ran).
     */
    private static void projectModulesInParallel(List<String> names, Map<String, LoraWeights> modules, Bf16Alignment[] packed,
                                                 Remedy remedy, int threads, Outcome[] outcomes, Progress progress) {
        RuntimeException[] failures = new RuntimeException[names.size()];
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        int[] done = {0};
        IntStream.range(0, threads).parallel().forEach(t -> {
            for (int i = next.getAndIncrement(); i < names.size() && !failed.get(); i = next.getAndIncrement()) {
                String name = names.get(i);
                LoraWeights w = modules.get(name);
                try {
                    FactoredProjection.Bf16Products p = FactoredProjection.products(packed[i], w.b(), w.r(), 1);
                    outcomes[i] = outcome(w, p.btv(), p.cb(), p.norm(), null, remedy, 0);
                } catch (RuntimeException e) {
                    failures[i] = e;
                    failed.set(true);
                    return;
                }
                synchronized (done) {
                    progress.step(++done[0], names.size(), name);
                }
            }
        });
        for (RuntimeException e : failures) {
            if (e != null) {
                throw e;
            }
        }
    }

    /**
     * Everything about one module but the selection, from its products: {@code V^T B}, {@code C B} and {@code ||V||_F}
     * ({@code v}: V as floats, where the remedy needs it).
     */
    private static Outcome outcome(LoraWeights w, double[] btv, double[] cb, double norm, AlignmentMatrix v, Remedy remedy,
                                   int subspaceRank) {
        String name = w.module();
        requireNonZero(name, norm);
        int rows = w.out();
        int cols = w.in();
        int rank = remedy != Remedy.SUBSPACE ? 0 : subspaceRank > 0 ? subspaceRank : Math.min(w.r(), Math.min(rows, cols));
        if (rank > Math.min(rows, cols)) {
            throw new IllegalArgumentException("module " + name + ": subspace rank " + rank + " exceeds min(" + rows
                    + ", " + cols + ")");
        }
        double[] b = FactoredProjection.widen(w.b());
        double[] g = FactoredProjection.gram(w.a(), w.r(), w.in());
        // each of the three inner products once (the cosine, the signed score and the norm ratio share them)
        double cbB = FactoredProjection.frobeniusInner(cb, b, w.out(), w.r(), g);
        double cbCb = FactoredProjection.frobeniusInner(cb, cb, w.out(), w.r(), g);
        double bB = FactoredProjection.frobeniusInner(b, b, w.out(), w.r(), g);
        double cos = FactoredProjection.cosine(cbB, cbCb, bB);
        if (!Double.isFinite(cos)) {
            // NaN compares false with every threshold: the module would silently stay unprojected.
            throw new IllegalArgumentException("module " + name + ": its cosine is not finite (NaN or infinity from its LoRA"
                    + " factors or alignment); refusing to decide whether to project it");
        }
        double rounded = Math.rint(cos * 1e5) / 1e5;
        double before = FactoredProjection.norm(bB);
        double signed = Remedies.signedScore(btv, w.a(), before, norm);
        double[] remedied = Remedies.apply(remedy, new Remedies.ModuleUpdate(b, cb, g, w.out(), w.r(), v, rank));
        // the project remedy returns C B itself, whose inner product is at hand
        double after = remedied == cb ? FactoredProjection.norm(cbCb) : Remedies.updateNorm(remedied, w.out(), w.r(), g);
        ModuleResult result = new ModuleResult(name, ModuleNames.layerIndex(name).orElse(-1), rounded, cos, signed, false, 1, norm, 0);
        return new Outcome(result, FactoredProjection.narrow(remedied), FactoredProjection.distance(b, cb),
                remedy == Remedy.PROJECT ? 0 : FactoredProjection.distance(remedied, cb), before == 0 ? 1 : after / before);
    }

    private static double requireNonZero(String module, double norm) {
        if (norm == 0) {
            throw new IllegalArgumentException("module " + module + ": its alignment V is zero, so C = V V^T / ||V||_F is undefined");
        }
        return norm;
    }

    /** Every adapter module needs an alignment of the same shape; all problems are listed at once. */
    private static void checkMatches(Map<String, LoraWeights> modules, AlignmentSource alignment) {
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (LoraWeights w : modules.values()) {
            if (!alignment.contains(w.module())) {
                String why = alignment.whyMissing(w.module());
                missing.add(why == null ? w.module() : w.module() + " (" + why + ")");
                continue;
            }
            ModuleShape s = alignment.shape(w.module());
            if (s.rows() != w.out() || s.cols() != w.in()) {
                mismatched.add(w.module() + " (LoRA " + w.out() + "x" + w.in() + ", alignment " + s + ")");
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(missing.size() + " adapter module(s) have no alignment: " + String.join(", ", missing));
        }
        if (!mismatched.isEmpty()) {
            throw new IllegalArgumentException("adapter and alignment shapes differ for: " + String.join(", ", mismatched));
        }
    }

    private static Set<String> explicitModules(Map<String, LoraWeights> modules, Selection selection) {
        if (selection.mode() != Selection.Mode.EXPLICIT) {
            return Set.of();
        }
        Set<String> chosen = new HashSet<>();
        if (!selection.modules().isEmpty()) {
            List<String> unknown = new ArrayList<>();
            for (String name : new TreeSet<>(selection.modules())) {
                if (modules.containsKey(name)) {
                    chosen.add(name);
                } else {
                    unknown.add(name);
                }
            }
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("selected modules not in the adapter: " + String.join(", ", unknown));
            }
        } else {
            Set<Integer> seen = new HashSet<>();
            for (String name : modules.keySet()) {
                int layer = ModuleNames.layerIndex(name).orElse(-1);
                if (selection.layers().contains(layer)) {
                    chosen.add(name);
                    seen.add(layer);
                }
            }
            Set<Integer> absent = new TreeSet<>(selection.layers());
            absent.removeAll(seen);
            if (!absent.isEmpty()) {
                throw new IllegalArgumentException("selected layers with no adapter module: " + absent);
            }
        }
        return chosen;
    }

    private static Set<String> choose(List<ModuleResult> results, Selection selection, Set<String> explicit) {
        Set<String> chosen = new HashSet<>();
        switch (selection.mode()) {
            // PEFT compares float32 tensors: the rounded cosine and tau both as float
            case THRESHOLD -> results.stream().filter(r -> (float) r.cosine() <= (float) selection.threshold())
                    .forEach(r -> chosen.add(r.name()));
            case TOP_K -> {
                if (selection.topK() > results.size()) {
                    throw new IllegalArgumentException("top-k asks for " + selection.topK() + " modules but the adapter has " + results.size());
                }
                // results are in module order and the sort is stable: ties go to the earlier module
                results.stream().sorted(Comparator.comparingDouble(r -> (float) r.cosine())).limit(selection.topK())
                        .forEach(r -> chosen.add(r.name()));
            }
            case EXPLICIT -> chosen.addAll(explicit);
            default -> throw new IllegalStateException();
        }
        return chosen;
    }
}
