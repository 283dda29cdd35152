package dev.safelora.bench;

import dev.safelora.files.FileTrees;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.Aligner;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.alignment.AlignmentManifest;
import dev.safelora.alignment.AlignmentMatrix;
import dev.safelora.alignment.Bf16Alignment;
import dev.safelora.alignment.Progress;
import dev.safelora.projection.FactoredProjection;
import dev.safelora.projection.SafeLoraProjector;
import dev.safelora.projection.Selection;
import dev.safelora.tensor.Checkpoint;
import dev.safelora.tensor.DType;
import dev.safelora.tensor.HalfFloats;
import dev.safelora.tensor.SafetensorsStreamWriter;
import dev.safelora.tensor.TensorSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Benchmark of {@code align} + {@code project} on Llama-2-7B shapes (32 layers, q_proj and v_proj
 * 4096 x 4096, r = 8) with synthetic bf16 checkpoints generated into a temporary directory, and the
 * naive full-C computation on a few modules in the same run. A command, not a test:
 * {@code java -Xmx1g -cp pipeline/target/safelora-pipeline.jar:pipeline/target/lib/* dev.safelora.bench.SafeLoraBenchmark}
 * (options: --layers N --hidden N --kv-rows N --rank N --naive-modules N --breakdown-modules N --dir DIR --keep --reuse
 * --generate-only; --reuse keeps the checkpoints and adapter an earlier --keep run generated with the same sizes,
 * --generate-only writes them and stops, so that the measuring process never held the generator's buffers).
 * Besides its human-readable lines it prints {@code key=value} lines that benchmarks/safelora_bench.sh reads.
 */
public final class SafeLoraBenchmark {

    record Options(int layers, int hidden, int kvRows, int rank, int naiveModules, Path dir, boolean keep, boolean reuse,
                   int breakdownModules, boolean generateOnly) {
        private static final String USAGE = "(--layers N --hidden N --kv-rows N --rank N --naive-modules N --breakdown-modules N"
                + " --dir DIR --keep --reuse --generate-only)";

        Options {
            if (layers < 1 || hidden < 1 || kvRows < 1 || rank < 1 || naiveModules < 0 || breakdownModules < 0) {
                throw new IllegalArgumentException("benchmark sizes must be positive (layers " + layers + ", hidden " + hidden
                        + ", kv-rows " + kvRows + ", rank " + rank + ") and module counts not negative");
            }
            // one module's bf16 bytes go through one ByteBuffer, its floats through one array
            if ((long) Math.max(hidden, kvRows) * hidden * 2 > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("a " + Math.max(hidden, kvRows) + " x " + hidden
                        + " module is too large for the benchmark's generator (at most 2^30 elements)");
            }
            if (reuse && dir == null) {
                throw new IllegalArgumentException("--reuse needs --dir DIR (the directory of an earlier --keep run)");
            }
            if (generateOnly && dir == null) {
                throw new IllegalArgumentException("--generate-only needs --dir DIR");
            }
        }

        static Options parse(String[] args) {
            int layers = 32;
            int hidden = 4096;
            int rank = 8;
            int kvRows = -1;
            int naive = 2;
            int breakdown = 16;
            Path dir = null;
            boolean keep = false;
            boolean reuse = false;
            boolean generateOnly = false;
            for (int i = 0; i < args.length; i++) {
                String option = args[i];
                switch (option) {
                    case "--layers" -> layers = intValue(args, ++i, option);
                    case "--hidden" -> hidden = intValue(args, ++i, option);
                    case "--rank" -> rank = intValue(args, ++i, option);
                    case "--kv-rows" -> kvRows = intValue(args, ++i, option);
                    case "--naive-modules" -> naive = intValue(args, ++i, option);
                    case "--breakdown-modules" -> breakdown = intValue(args, ++i, option);
                    case "--dir" -> dir = Path.of(value(args, ++i, option));
                    case "--keep" -> keep = true;
                    case "--reuse" -> reuse = true;
                    case "--generate-only" -> generateOnly = true;
                    default -> throw new IllegalArgumentException("unknown benchmark option " + option + " " + USAGE);
                }
            }
            return new Options(layers, hidden, kvRows < 0 ? hidden : kvRows, rank, naive, dir, keep || reuse || generateOnly, reuse,
                    breakdown, generateOnly);
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value " + USAGE);
            }
            return args[i];
        }

        private static int intValue(String[] args, int i, String option) {
            String v = value(args, i, option);
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " needs a whole number, not \"" + v + "\"");
            }
        }

        /** What the generated data depends on; --reuse regenerates when the kept directory's differs. */
        String shapeKey() {
            return "layers=" + layers + " hidden=" + hidden + " kv_rows=" + kvRows + " rank=" + rank + " generator=1";
        }
    }

    private static final List<String> LEAVES = List.of("self_attn.q_proj", "self_attn.v_proj");

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        run(Options.parse(args), out);
    }

    /** Runs the benchmark and prints its figures. */
    public static void run(String[] args, PrintWriter out) {
        run(Options.parse(args), out);
    }

    static void run(Options o, PrintWriter out) {
        Path root;
        try {
            root = o.dir() != null ? Files.createDirectories(o.dir()) : Files.createTempDirectory("safelora-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Path base = root.resolve("base");
            Path aligned = root.resolve("aligned");
            Path adapterDir = root.resolve("adapter");
            int m = o.hidden();
            int n = o.hidden();
            out.printf("SafeLoRA benchmark: %d layers x %s, q %dx%d, v %dx%d, r=%d, bf16 checkpoints in %s; %d CPU threads, max heap %d MiB%n",
                    o.layers(), LEAVES, m, n, o.kvRows(), n, o.rank(), root, Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().maxMemory() >> 20);

            long t0 = System.nanoTime();
            PeftAdapter adapter = adapter(o.layers(), m, o.kvRows(), n, o.rank());
            Path marker = root.resolve(GENERATED_MARKER);
            double checkpointGb = (double) o.layers() * (m + o.kvRows()) * n * 2 / 1e9;
            if (o.reuse() && o.shapeKey().equals(readQuietly(marker))) {
                out.printf("generate: reused the checkpoints and adapter in %s (2 x %.2f GB)%n", root, checkpointGb);
                kv(out, "generate_s", 0);
            } else {
                FileTrees.deleteQuietly(marker);
                generateCheckpoints(base, aligned, o.layers(), m, o.kvRows(), n);
                adapter.write(adapterDir);
                writeString(marker, o.shapeKey());
                out.printf("generate: %.1f s (2 x %.2f GB)%n", secs(t0), checkpointGb);
                kv(out, "generate_s", secs(t0));
            }
            kv(out, "layers", o.layers());
            kv(out, "checkpoint_gb", checkpointGb);
            if (o.generateOnly()) {
                return;
            }

            settle();
            boolean peakReset = resetPeakRss();
            long rssBefore = peakRssKb();
            Path alignmentDir = root.resolve("alignment");
            long t1 = System.nanoTime();
            String alignmentDType = Aligner.align(base, aligned, Set.of("q_proj", "v_proj"), alignmentDir, Aligner.Options.defaults(),
                    Progress.NONE).dtype();
            double alignSecs = secs(t1);
            long t2 = System.nanoTime();
            // as the project command runs it: the kernels' JIT warm-up on a thread of its own, started first, while the
            // adapter is read and the artifact opened (the projector waits for it before the first module)
            long[] warmed = new long[1];
            Thread warmThread = new Thread(() -> {
                FactoredProjection.fastBf16Kernels();
                warmed[0] = System.nanoTime();
            }, "kernel-warm-up");
            warmThread.setDaemon(true);
            warmThread.start();
            SafeLoraProjector.Result result;
            PeftAdapter read = PeftAdapter.read(adapterDir);
            try (AlignmentArtifact artifact = AlignmentArtifact.open(alignmentDir)) {
                SafeLoraProjector.warmUpBookkeeping();
                result = SafeLoraProjector.project(read, artifact, Selection.threshold(0.5), Progress.NONE);
            }
            result.adapter().write(root.resolve("projected"));
            double projectSecs = secs(t2);
            try {
                warmThread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            double warmUp = (warmed[0] - t2) / 1e9;
            // fastKernels() only where the bf16 kernels are missing: project then ran (and so loaded) the float ones
            String kernels = FactoredProjection.fastBf16Kernels() ? "bf16 vector"
                    : FactoredProjection.fastKernels() ? "float vector (on a float copy of V)" : "scalar double";
            long rssAfter = peakRssKb();
            int modules = result.report().modules().size();
            out.printf("align:   %.1f s (%d modules, %.3f s/module, incl. reading 2 checkpoints, writing the artifact (lossless dtype), sha256 of sources)%n",
                    alignSecs, modules, alignSecs / modules);
            out.printf("project: %.2f s (%.3f s/module, incl. reading V and the kernels' JIT warm-up of %.2f s on its own thread, as project runs it; %s kernels on %d threads;"
                    + " %d projected, Pdst %.4f)%n", projectSecs, projectSecs / modules, warmUp, kernels,
                    FactoredProjection.threads(), result.report().projectedCount(), result.report().pdst());
            Path again = root.resolve("projected-again");
            double againSecs = projectOnce(adapterDir, alignmentDir, again);
            out.printf("project again in the same process (JIT warm): %.2f s (%.3f s/module)%n", againSecs, againSecs / modules);
            // runs 3-9 and 17-30 untimed: see EARLY_FIRST_RUN
            projectRuns(3, EARLY_FIRST_RUN - 1, adapterDir, alignmentDir, again);
            Window early = timedRuns(EARLY_FIRST_RUN, EARLY_RUNS, adapterDir, alignmentDir, again);
            projectRuns(EARLY_FIRST_RUN + EARLY_RUNS, STEADY_FIRST_RUN - 1, adapterDir, alignmentDir, again);
            Window steady = timedRuns(STEADY_FIRST_RUN, STEADY_RUNS, adapterDir, alignmentDir, again);
            out.printf("project in the same process, runs %s (median; the kernels compiled, the JIT still compiling the code"
                    + " around them: %s of compilation over those %d runs): %.2f s (%.3f s/module); project / read-once, each"
                    + " run against the read after it: %.2fx (median)%n", early.runs(), early.jit(), early.count(),
                    early.project(), early.project() / modules, early.ratio());
            out.printf("project in the same process, runs %s (median; as in a stage that has handled a few dozen adapters, %s"
                    + " of compilation over those %d runs): %.2f s (%.3f s/module); the artifact read once after each of those"
                    + " runs: %.3f s (median); project / read-once, each run against the read after it: %.2fx (median)%n",
                    steady.runs(), steady.jit(), steady.count(), steady.project(), steady.project() / modules, steady.read(),
                    steady.ratio());
            out.printf("peak RSS during align + project: %.0f MiB%s (before: %.0f MiB)%n", rssAfter / 1024.0,
                    peakReset ? "" : " (process peak: could not reset VmHWM, includes generation)", rssBefore / 1024.0);
            settle();
            long artifactBytes = fileSize(alignmentDir.resolve(AlignmentManifest.TENSORS));
            double readArtifact = readOnce(List.of(alignmentDir.resolve(AlignmentManifest.TENSORS)));
            out.printf("alignment artifact: %s in its manifest, %.2f GB; read once in %.2f s; project / read-once = %.1fx%n",
                    alignmentDType, artifactBytes / 1e9, readArtifact, projectSecs / readArtifact);
            kv(out, "modules", modules);
            kv(out, "align_s", alignSecs);
            kv(out, "project_s", projectSecs);
            kv(out, "project_warmup_s", warmUp);
            kv(out, "project_again_s", againSecs);
            kv(out, "early_runs", early.runs());
            kv(out, "steady_runs", steady.runs());
            kv(out, "project_early_s", early.project());
            kv(out, "project_early_ratio", early.ratio());
            kv(out, "jit_ms_early", early.jitMillis());
            kv(out, "jit_ms_steady", steady.jitMillis());
            kv(out, "project_steady_s", steady.project());
            kv(out, "read_alignment_steady_s", steady.read());
            kv(out, "project_steady_ratio", steady.ratio());
            kv(out, "alignment_dtype", alignmentDType);
            kv(out, "alignment_gb", artifactBytes / 1e9);
            kv(out, "read_alignment_s", readArtifact);
            kv(out, "bench_rss_align_project_mib", rssAfter / 1024.0);

            settle();
            projectFloors(root, adapterDir, alignmentDir, base, aligned, projectSecs, readArtifact, modules, out);
            settle();
            alignBreakdown(base, aligned, alignmentDir, o.breakdownModules(), alignSecs, modules, out);
            compareWithNaive(o, adapter, alignmentDir, out);
        } finally {
            if (!o.keep()) {
                FileTrees.deleteQuietly(root);
            }
        }
        out.flush();
    }

    /**
     * The first of the in-process runs timed early (runs 10-16; the second run is not steady: C2 still recompiles the kernels
     * then) and of those timed as steady (runs 31-40). In the early ones the JIT still compiles much of the code around the
     * kernels (manifest and config parsing, the adapter's write: code that runs a few times per project reaches C2's
     * thresholds only after some dozens of runs) on the same two cores: measured, 28-33 ms of compilation per run in runs
     * 10-16 against 11-15 ms in runs 31-40 at 8 layers, 43-48 against 10-14 ms at 32 layers, where project took 0.31-0.35
     * against 0.29-0.30 s (benchmarks/README.md, "The steady row from runs 31-40").
     */
    private static final int EARLY_FIRST_RUN = 10;

    private static final int EARLY_RUNS = 7;

    private static final int STEADY_FIRST_RUN = 31;

    private static final int STEADY_RUNS = 10;

    /**
     * Medians over a window of runs: project, the artifact read once right after each run, and each run's ratio to that read
     * (paired, so a busy moment of the shared machine slows both sides of a ratio rather than one); and the JIT's compilation
     * time over the window's runs (-1 where the JVM does not report it).
     */
    private record Window(int first, int last, double project, double read, double ratio, double jitMillis) {

        int count() {
            return last - first + 1;
        }

        /** "10-16": the runs, as the output names them. */
        String runs() {
            return first + "-" + last;
        }

        String jit() {
            return jitMillis < 0 ? "an unknown time" : String.format(java.util.Locale.ROOT, "%.0f ms", jitMillis);
        }
    }

    /** One project run as `project` does it (artifact opened, adapter read, projected, written to {@code out}); its seconds. */
    private static double projectOnce(Path adapterDir, Path alignmentDir, Path out) {
        long t = System.nanoTime();
        try (AlignmentArtifact artifact = AlignmentArtifact.open(alignmentDir)) {
            SafeLoraProjector.project(PeftAdapter.read(adapterDir), artifact, Selection.threshold(0.5), Progress.NONE)
                    .adapter().write(out);
        }
        return secs(t);
    }

    /** Project runs {@code first..last} (numbered as in this process), untimed. */
    private static void projectRuns(int first, int last, Path adapterDir, Path alignmentDir, Path out) {
        for (int run = first; run <= last; run++) {
            projectOnce(adapterDir, alignmentDir, out);
        }
    }

    /** {@code n} project runs from run {@code first}, each followed by a read of the artifact; JIT compilation over them. */
    private static Window timedRuns(int first, int n, Path adapterDir, Path alignmentDir, Path out) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean jitTimeSupported = jit != null && jit.isCompilationTimeMonitoringSupported();
        long jitAtStart = jitTimeSupported ? jit.getTotalCompilationTime() : 0;
        double[] project = new double[n];
        double[] read = new double[n];
        double[] ratio = new double[n];
        for (int i = 0; i < n; i++) {
            project[i] = projectOnce(adapterDir, alignmentDir, out);
            read[i] = readOnce(List.of(alignmentDir.resolve(AlignmentManifest.TENSORS)));
            ratio[i] = project[i] / read[i];
        }
        double jitMillis = jitTimeSupported ? jit.getTotalCompilationTime() - jitAtStart : -1;
        return new Window(first, first + n - 1, median(project), median(read), median(ratio), jitMillis);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * Where {@code project}'s time goes and how it compares with reading its input once: the
     * alignment file's bytes (project with an artifact), and both checkpoints' target tensors
     * plus their sha256 (one-shot {@code project --base --aligned}, which writes no artifact).
     */
    private static void projectFloors(Path root, Path adapterDir, Path alignmentDir, Path base, Path aligned, double projectSecs,
                                      double readAlignment, int modules, PrintWriter out) {
        double read = 0;
        double kernels = 0;
        double cosine = 0;
        long a0 = System.nanoTime();
        PeftAdapter adapter = PeftAdapter.read(adapterDir);
        double adapterRead = secs(a0);
        boolean bf16 = true;
        try (AlignmentArtifact artifact = AlignmentArtifact.open(alignmentDir)) {
            // as project does it, in timed steps: the kernels (both products and the norm), the cosine; then, in a pass of its
            // own, V read whole once more. (Read just before the kernels, as an earlier version did, V was partly still in the
            // processor's cache when they ran, and they measured faster than in project.)
            float[] buffer = null;
            List<Bf16Alignment> packed = new ArrayList<>();
            for (LoraWeights w : adapter.modules().values()) {
                long t1 = System.nanoTime();
                Bf16Alignment v = FactoredProjection.bf16Kernels(w.out(), w.in()) ? artifact.loadBf16(w.module()) : null;
                double[] cb;
                if (v != null) {
                    packed.add(v);
                    // as project does it: the kernels read V's blocks from the file (once for V^T, in both passes for V; reading is inside "kernels")
                    cb = FactoredProjection.products(v, w.b(), w.r()).cb();
                } else {
                    // the float path reads and converts V first ("read V"), then the kernels
                    bf16 = false;
                    AlignmentMatrix m = artifact.load(w.module(), buffer);
                    buffer = m.v();
                    read += secs(t1);
                    t1 = System.nanoTime();
                    cb = FactoredProjection.products(m.v(), m.rows(), m.cols(), m.frobeniusNorm(), w.b(), w.r()).cb();
                }
                long t2 = System.nanoTime();
                FactoredProjection.cosine(cb, FactoredProjection.widen(w.b()), w.out(), w.r(), FactoredProjection.gram(w.a(), w.r(), w.in()));
                kernels += (t2 - t1) / 1e9;
                cosine += secs(t2);
            }
            settle();
            java.nio.ByteBuffer bits = null;
            for (Bf16Alignment v : packed) {
                // V read whole into one buffer: what reading costs when it is not interleaved with the kernels
                long t0 = System.nanoTime();
                bits = v.whole(bits);
                read += secs(t0);
            }
        }
        long w0 = System.nanoTime();
        adapter.write(root.resolve("projected-breakdown"));
        double adapterWrite = secs(w0);
        out.printf("project breakdown per module (%s): read V %.4f s, kernels incl. norm %.4f s, cosine %.4f s; adapter read %.3f s + write %.3f s"
                + " per run; reading the alignment's bytes once: %.4f s/module; project / read-once = %.1fx%n",
                bf16 ? "bf16 V read block by block by the kernels (one pass over V^T, two over V), no float copy; read V = a separate whole read, not part of"
                        + " project" : "V converted to float", read / modules, kernels / modules,
                cosine / modules, adapterRead, adapterWrite, readAlignment / modules, projectSecs / readAlignment);
        FactoredProjection.fastKernels(); // the one-shot path's float kernels: their JIT warm-up is not what is timed below

        List<Path> sources = new ArrayList<>();
        try (Stream<Path> b = Files.list(base); Stream<Path> a = Files.list(aligned)) {
            Stream.concat(b, a).filter(f -> f.toString().endsWith(".safetensors")).sorted().forEach(sources::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        settle();
        long h0 = System.nanoTime();
        sources.forEach(SafeLoraBenchmark::sha256);
        double hashOnce = secs(h0);
        // as align hashes: every shard of both sides at once on the common pool
        long h1 = System.nanoTime();
        sources.parallelStream().forEach(SafeLoraBenchmark::sha256);
        double hashParallel = secs(h1);
        double readPair = readOnce(sources);
        long p0 = System.nanoTime();
        try (dev.safelora.alignment.CheckpointPair pair = dev.safelora.alignment.CheckpointPair.open(base, aligned, adapter.modules().keySet())) {
            SafeLoraProjector.project(adapter, pair, Selection.threshold(0.5), Progress.NONE).adapter().write(root.resolve("projected-one-shot"));
        }
        double oneShot = secs(p0);
        out.printf("one-shot project --base --aligned: %.2f s (%.3f s/module; it reads both checkpoints and computes V, no sha256);"
                + " reading both checkpoints once %.2f s, sha256 of them %.2f s one file after another (%.2f s all shards in parallel);"
                + " one-shot / (read + sha256) = %.2fx%n", oneShot, oneShot / modules, readPair, hashOnce, hashParallel,
                oneShot / (readPair + hashOnce));
        kv(out, "read_checkpoints_s", readPair);
        kv(out, "sha256_s", hashOnce);
        kv(out, "sha256_parallel_s", hashParallel);
        kv(out, "oneshot_s", oneShot);
    }

    /**
     * Where {@code align}'s time goes, per module, each part timed on its own over the first {@code sample}
     * modules: reading + converting both weights to float, the same plus computing V (CheckpointPair, as
     * align does), encoding V to the artifact's dtype + writing it (to a scratch file, rewritten per module, so
     * into the page cache). The sources' sha256 (whole files, serial and in parallel) is in {@link #projectFloors}'s line.
     */
    private static void alignBreakdown(Path base, Path aligned, Path alignmentDir, int sample, double alignSecs, int modules,
                                       PrintWriter out) {
        if (sample <= 0) {
            return;
        }
        DType storeAs;
        boolean transposed;
        try (AlignmentArtifact artifact = AlignmentArtifact.open(alignmentDir)) {
            storeAs = DType.fromSafetensors(artifact.manifest().dtype());
            transposed = artifact.manifest().transposed();
        }
        Path scratch = alignmentDir.resolveSibling("align-breakdown.safetensors");
        double readConvert = 0;
        double readConvertV = 0;
        double write = 0;
        int timed = 0;
        try (Checkpoint b = Checkpoint.open(base); Checkpoint a = Checkpoint.open(aligned);
             dev.safelora.alignment.CheckpointPair pair = dev.safelora.alignment.CheckpointPair.open(base, aligned, Set.of("q_proj", "v_proj"))) {
            dev.safelora.tensor.FloatArrayPool pool = new dev.safelora.tensor.FloatArrayPool();
            dev.safelora.tensor.FloatArrayPool vs = new dev.safelora.tensor.FloatArrayPool();
            for (String module : pair.modules().stream().limit(sample).toList()) {
                String weight = module + ".weight";
                long numel = b.info(weight).numel();
                long t0 = System.nanoTime();
                float[] w0 = b.floats(weight, pool.take(numel));
                float[] w1 = a.floats(weight, vs.take(numel));
                readConvert += secs(t0);
                pool.give(w0);
                long t1 = System.nanoTime();
                AlignmentMatrix v = pair.load(module, w1);
                readConvertV += secs(t1);
                long t2 = System.nanoTime();
                try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(scratch, Map.of("format", "pt"),
                        List.of(Aligner.storedSpec(module, new dev.safelora.alignment.ModuleShape(v.rows(), v.cols()),
                                storeAs, transposed)))) {
                    Aligner.append(w, v, storeAs, transposed);
                    w.finish();
                }
                write += secs(t2);
                vs.give(v.v());
                timed++;
            }
        } finally {
            FileTrees.deleteQuietly(scratch);
        }
        double computeV = Math.max(0, readConvertV - readConvert);
        out.printf("align breakdown per module (first %d of %d modules, each part timed alone): read + convert both weights %.3f s,"
                + " compute V (difference, %s rounding, norm) %.3f s, encode V to %s + write %.3f s; align itself %.3f s/module%n",
                timed, modules, readConvert / timed, storeAs, computeV / timed, storeAs + (transposed ? " as V^T" : ""), write / timed,
                alignSecs / modules);
        kv(out, "align_read_convert_s_per_module", readConvert / timed);
        kv(out, "align_compute_v_s_per_module", computeV / timed);
        kv(out, "align_write_s_per_module", write / timed);
        kv(out, "align_breakdown_modules", timed);
    }

    private static void sha256(Path file) {
        try {
            dev.safelora.files.Digests.fileSha256(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String GENERATED_MARKER = "generated.txt";

    /**
     * A full collection between phases, untimed: G1 then gives back the heap an earlier phase's arrays grew
     * (at 70B shapes 256 MiB each), so each phase's peak RSS is its own and not the sum of the phases before it.
     */
    private static void settle() {
        System.gc();
    }

    /** One machine-readable summary line, {@code key=value}, beside the human-readable ones (benchmarks/safelora_bench.sh reads them). */
    static void kv(PrintWriter out, String key, Object value) {
        out.println(key + "=" + (value instanceof Double d ? String.format(java.util.Locale.ROOT, "%.6g", d) : value));
    }

    private static long fileSize(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static void writeString(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Seconds to read the files' bytes once through a 4 MiB direct buffer. */
    private static double readOnce(List<Path> files) {
        ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20);
        long t0 = System.nanoTime();
        for (Path f : files) {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
                while (ch.read(buf.clear()) >= 0) {
                    // discard: only the reading is timed
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return secs(t0);
    }

    private static void compareWithNaive(Options o, PeftAdapter adapter, Path alignmentDir, PrintWriter out) {
        if (o.naiveModules() <= 0) {
            return;
        }
        List<LoraWeights> sample = adapter.modules().values().stream().limit(o.naiveModules()).toList();
        double factoredTotal = 0;
        double naiveTotal = 0;
        try (AlignmentArtifact artifact = AlignmentArtifact.open(alignmentDir)) {
            for (LoraWeights w : sample) {
                AlignmentMatrix v = artifact.load(w.module());
                // warm the factored kernels so JIT compilation is not what is measured
                factoredCosine(v, w);
                long f0 = System.nanoTime();
                int reps = 5;
                double cosF = 0;
                for (int i = 0; i < reps; i++) {
                    cosF = factoredCosine(v, w);
                }
                double factored = secs(f0) / reps;
                long n0 = System.nanoTime();
                double cosN = NaiveSafeLoraPath.cosine(v.v(), v.rows(), v.cols(), v.frobeniusNorm(), w.a(), w.b(), w.r());
                double naive = secs(n0);
                factoredTotal += factored;
                naiveTotal += naive;
                out.printf("module %s: factored %.3f s, naive full-C %.1f s (%.0fx); cosine factored %.8f, naive %.8f%n",
                        w.module(), factored, naive, naive / factored, cosF, cosN);
                kv(out, "naive_cosine_abs_diff", Math.abs(cosF - cosN));
            }
        }
        double naiveFlops = 0;
        double factoredFlops = 0;
        int r = o.rank();
        for (LoraWeights w : sample) {
            double m = w.out();
            double n = w.in();
            naiveFlops += m * m * n + m * m * r + 2.0 * m * r * n + 3.0 * m * n;
            factoredFlops += 2.0 * m * n * r + (double) r * r * n + 3.0 * m * r * r;
        }
        int m = o.hidden();
        out.printf("per module compute: naive/factored time ratio %.0fx (measured over %d modules); multiply-add count ratio %.0fx%n",
                naiveTotal / factoredTotal, sample.size(), naiveFlops / factoredFlops);
        out.printf("naive C per module: %d MiB (float m x m); the reference code keeps every C (%d modules: %.1f GiB) and both models%n",
                (long) m * m * 4 >> 20, adapter.modules().size(), adapter.modules().size() * (double) m * m * 4 / (1L << 30));
    }

    /** The cosine on the float path (V as floats), as the naive comparison needs it. */
    private static double factoredCosine(AlignmentMatrix v, LoraWeights w) {
        double[] cb = FactoredProjection.projectB(v.v(), v.rows(), v.cols(), v.frobeniusNorm(), w.b(), w.r());
        double[] g = FactoredProjection.gram(w.a(), w.r(), w.in());
        return FactoredProjection.cosine(cb, FactoredProjection.widen(w.b()), w.out(), w.r(), g);
    }

    /** Base and aligned bf16 checkpoints, 4 shards each with an index, filled by a cheap PRNG. */
    /** q_proj is m x n, v_proj kvRows x n (GQA when kvRows < m). */
    static void generateCheckpoints(Path base, Path aligned, int layers, int m, int kvRows, int n) {
        int shards = Math.max(1, Math.min(4, layers));
        Map<String, String> index = new LinkedHashMap<>();
        Rng rng = new Rng(42);
        ByteBuffer wb = ByteBuffer.allocate(m * n * 2).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer wa = ByteBuffer.allocate(m * n * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int s = 0; s < shards; s++) {
            String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            List<TensorSpec> plan = new ArrayList<>();
            for (int layer = s * layers / shards; layer < (s + 1) * layers / shards; layer++) {
                for (String leaf : LEAVES) {
                    String name = "model.layers." + layer + "." + leaf + ".weight";
                    plan.add(new TensorSpec(name, DType.BF16, new long[] {rows(leaf, m, kvRows), n}));
                    index.put(name, file);
                }
            }
            try (SafetensorsStreamWriter b = SafetensorsStreamWriter.create(base.resolve(file), Map.of("format", "pt"), plan);
                 SafetensorsStreamWriter a = SafetensorsStreamWriter.create(aligned.resolve(file), Map.of("format", "pt"), plan)) {
                for (TensorSpec spec : plan) {
                    wb.clear();
                    wa.clear();
                    int numel = (int) (spec.shape()[0] * n);
                    for (int i = 0; i < numel; i += 2) {
                        long bits = rng.next();
                        float w0 = uniform((int) bits) * 0.04f;
                        float w1 = uniform((int) (bits >>> 32)) * 0.04f;
                        long noise = rng.next();
                        wb.putShort(HalfFloats.floatToBf16(w0)).putShort(HalfFloats.floatToBf16(w1));
                        wa.putShort(HalfFloats.floatToBf16(w0 + uniform((int) noise) * 0.004f))
                                .putShort(HalfFloats.floatToBf16(w1 + uniform((int) (noise >>> 32)) * 0.004f));
                    }
                    b.append(spec, wb.flip());
                    a.append(spec, wa.flip());
                }
                b.finish();
                a.finish();
            }
        }
        writeIndex(base, index);
        writeIndex(aligned, index);
    }

    private static void writeIndex(Path dir, Map<String, String> index) {
        try {
            new ObjectMapper().writeValue(dir.resolve(Checkpoint.INDEX_FILE).toFile(), Map.of("metadata", Map.of(), "weight_map", index));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int rows(String leaf, int m, int kvRows) {
        return leaf.endsWith("v_proj") ? kvRows : m;
    }

    static PeftAdapter adapter(int layers, int qRows, int kvRows, int n, int r) {
        Rng rng = new Rng(7);
        List<LoraWeights> ws = new ArrayList<>();
        for (int layer = 0; layer < layers; layer++) {
            for (String leaf : LEAVES) {
                int m = rows(leaf, qRows, kvRows);
                float[] a = new float[r * n];
                float[] b = new float[m * r];
                for (int i = 0; i < a.length; i++) {
                    a[i] = uniform((int) rng.next()) * 0.02f;
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = uniform((int) rng.next()) * 0.01f;
                }
                ws.add(new LoraWeights("model.layers." + layer + "." + leaf, r, n, m, a, b));
            }
        }
        return PeftAdapter.of(new LoraConfig(r, 16, false, List.of("q_proj", "v_proj"), 0.05, "synthetic-llama-2-7b", false), ws);
    }

    /** A float in [-1, 1) from 23 random bits. */
    private static float uniform(int bits) {
        return Float.intBitsToFloat(0x40000000 | (bits & 0x7FFFFF)) - 3f;
    }

    /** xorshift64*: fast and good enough for synthetic weights. */
    private static final class Rng {
        private long state;

        Rng(long seed) {
            state = seed * 0x9E3779B97F4A7C15L + 1;
        }

        long next() {
            state ^= state >>> 12;
            state ^= state << 25;
            state ^= state >>> 27;
            return state * 0x2545F4914F6CDD1DL;
        }
    }

    private static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** VmHWM (peak resident set) in kB, or -1 where /proc is not available. */
    static long peakRssKb() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/status"))) {
            return lines.filter(l -> l.startsWith("VmHWM:")).findFirst()
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).orElse(-1L);
        } catch (IOException e) {
            return -1;
        }
    }

    private static double secs(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    private SafeLoraBenchmark() {
    }
}
