package dev.safelora.model;

import dev.safelora.files.FileTrees;
import dev.safelora.tensor.DType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Throughput and overhead of the model on this machine (a benchmark, not a test):
 * <ul>
 *   <li>forward tokens/s (no grad) and forward+backward tokens/s (LoRA r=8 on q/v, cross-entropy);
 *   <li>the share of forward time outside libtorch kernels: the model against the same libtorch
 *       calls issued back-to-back in one flat method, and the fixed per-forward cost measured on a
 *       one-token forward;
 *   <li>resident memory over thousands of forward calls and training steps, each in its own
 *       pointer scope.
 * </ul>
 */
public final class ModelBenchmark {

    /** {@code threads}: libtorch intra-op threads (0 keeps libtorch's default). */
    public record Options(int layers, int hidden, int heads, int kvHeads, int batch, int seq, int iterations,
                          int rounds, int memoryCalls, int threads) {
    }

    private ModelBenchmark() {
    }

    public static void run(Options o, PrintWriter out) throws IOException {
        if (o.threads() > 0) {
            torch.set_num_threads(o.threads());
        }
        Path dir = Files.createTempDirectory("safelora-bench");
        try {
            TinyModels.Shape shape = new TinyModels.Shape(Architecture.LLAMA, o.layers(), o.hidden(), o.hidden() * 8 / 3 / 16 * 16,
                    o.heads(), o.kvHeads(), false, RopeScaling.none(), 10000);
            TinyModels.write(dir, shape, 1, DType.F32);
            CausalLm model = CausalLm.load(dir, ComputeDevice.cpu());
            ModelConfig c = model.config();
            out.printf("model: %d layers, hidden %d, intermediate %d, heads %d/%d kv, vocab %d; batch %d x seq %d; libtorch threads %d%n",
                    c.numLayers(), c.hiddenSize(), c.intermediateSize(), c.numHeads(), c.numKvHeads(), c.vocabSize(),
                    o.batch(), o.seq(), torch.get_num_threads());
            out.flush();
            long[][] ids = randomIds(o.batch(), o.seq(), c.vocabSize(), 3);
            int tokens = o.batch() * o.seq();

            Runnable modelForward = () -> {
                try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                    model.forward(Tensors.fromLongs(ids), null).sum().item_float();
                }
            };
            Runnable flat = () -> {
                try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                    flatForward(model, Tensors.fromLongs(ids)).sum().item_float();
                }
            };
            long[][] one = randomIds(1, 1, c.vocabSize(), 4);
            Runnable tinyForward = () -> {
                try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                    model.forward(Tensors.fromLongs(one), null).sum().item_float();
                }
            };
            // Rounds alternate between the two so that load from other processes hits both alike;
            // the best round of each is reported.
            Timing fwdT = Timing.NONE;
            Timing rawT = Timing.NONE;
            Timing tinyT = Timing.NONE;
            for (int round = 0; round < o.rounds(); round++) {
                fwdT = fwdT.best(time(o.iterations(), modelForward));
                rawT = rawT.best(time(o.iterations(), flat));
                tinyT = tinyT.best(time(o.iterations() * 10, tinyForward));
            }
            boolean cpuClock = torch.get_num_threads() == 1;
            // With one libtorch thread every kernel runs on this thread, so its CPU time measures
            // the work without the time other processes take from us; else wall time.
            double fwd = fwdT.pick(cpuClock);
            double raw = rawT.pick(cpuClock);
            double tiny = tinyT.pick(cpuClock);
            out.printf("clock: %s (wall ms/step forward %.1f, flat %.1f, 1-token %.3f)%n",
                    cpuClock ? "CPU time of the calling thread" : "wall time",
                    fwdT.wall() * 1e3, rawT.wall() * 1e3, tinyT.wall() * 1e3);
            long objects;
            long before = Pointer.totalCount();
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                model.forward(Tensors.fromLongs(ids), null);
                objects = Pointer.totalCount() - before;
            }
            double perCall = trivialCallSeconds();
            out.printf("forward:            %8.1f ms/step  %9.0f tokens/s%n", fwd * 1e3, tokens / fwd);
            out.printf("same ops, flat:     %8.1f ms/step  -> model code adds %.1f%% (%.2f ms)%n", raw * 1e3,
                    100 * (fwd - raw) / fwd, (fwd - raw) * 1e3);
            out.printf("1-token forward:    %8.3f ms/step  -> fixed per-call cost (JNI, Java, dispatch, tiny kernels) is %.1f%% of a full step%n",
                    tiny * 1e3, 100 * tiny / fwd);
            out.printf("JNI bound:          %d native objects per forward x %.2f us per trivial libtorch call (view of a"
                    + " 1-element tensor, in a scope) = %.3f ms, %.2f%% of a forward%n",
                    objects, perCall * 1e6, objects * perCall * 1e3, 100 * objects * perCall / fwd);
            out.flush();

            model.addTrainableLora(new LoraSpec(8, 16, false, List.of("q_proj", "v_proj"), 0.05, 1));
            model.train();
            List<Tensor> params = model.trainableParameters();
            long[][] targets = randomIds(o.batch(), o.seq(), c.vocabSize(), 5);
            Runnable step = () -> {
                try (PointerScope s = new PointerScope()) {
                    Tensor logits = model.forward(Tensors.fromLongs(ids), null);
                    Tensor loss = torch.cross_entropy_loss(logits.view(-1, c.vocabSize()), Tensors.fromLongs(targets).view(-1));
                    loss.backward();
                    for (Tensor p : params) {
                        p.grad().zero_();
                    }
                }
            };
            Timing trainT = Timing.NONE;
            for (int round = 0; round < o.rounds(); round++) {
                trainT = trainT.best(time(o.iterations(), step));
            }
            double train = trainT.pick(cpuClock);
            out.printf("forward+backward:   %8.1f ms/step  %9.0f tokens/s (LoRA r=8 on q,v; %d trainable tensors)%n",
                    train * 1e3, tokens / train, params.size());
            out.flush();

            model.eval();
            long[][] shortIds = randomIds(1, 16, c.vocabSize(), 6);
            memory(out, "forward (1x16, no grad)", o.memoryCalls(), () -> {
                try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                    model.forward(Tensors.fromLongs(shortIds), null).sum().item_float();
                }
            });
            model.train();
            memory(out, "train step (1x16)", o.memoryCalls() / 4, () -> {
                try (PointerScope s = new PointerScope()) {
                    Tensor logits = model.forward(Tensors.fromLongs(shortIds), null);
                    torch.cross_entropy_loss(logits.view(-1, c.vocabSize()), Tensors.fromLongs(shortIds).view(-1)).backward();
                    for (Tensor p : params) {
                        p.grad().zero_();
                    }
                }
            });
        } finally {
            FileTrees.deleteQuietly(dir);
        }
    }

    /** The model's forward as one flat sequence of libtorch calls (no LoRA, no mask), for the overhead baseline. */
    static Tensor flatForward(CausalLm model, Tensor ids) {
        ModelConfig c = model.config();
        long b = ids.size(0);
        long t = ids.size(1);
        int d = c.headDim();
        long half = d / 2;
        Tensor[] cs = model.rope().table(0, (int) t);
        Tensor cos = cs[0];
        Tensor sin = cs[1];
        long[] last = {c.hiddenSize()};
        DoubleOptional eps = new DoubleOptional(c.rmsNormEps());
        boolean gqa = c.numHeads() != c.numKvHeads();
        Tensor h = torch.embedding(model.embedTokens(), ids);
        for (DecoderLayer l : model.layers()) {
            Tensor x = torch.rms_norm(h, last, new TensorOptional(l.inputNorm), eps);
            Tensor q = torch.linear(x, l.q.weight()).view(b, t, c.numHeads(), d).transpose(1, 2);
            Tensor k = torch.linear(x, l.k.weight()).view(b, t, c.numKvHeads(), d).transpose(1, 2);
            Tensor v = torch.linear(x, l.v.weight()).view(b, t, c.numKvHeads(), d).transpose(1, 2);
            q = q.mul(cos).add(torch.cat(new TensorVector(q.narrow(-1, half, half).neg(), q.narrow(-1, 0, half)), -1).mul(sin));
            k = k.mul(cos).add(torch.cat(new TensorVector(k.narrow(-1, half, half).neg(), k.narrow(-1, 0, half)), -1).mul(sin));
            Tensor a = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, true, new DoubleOptional(), gqa);
            h = h.add(torch.linear(a.transpose(1, 2).reshape(b, t, (long) c.numHeads() * d), l.o.weight()));
            Tensor y = torch.rms_norm(h, last, new TensorOptional(l.postAttentionNorm), eps);
            h = h.add(torch.linear(torch.silu(torch.linear(y, l.gate.weight())).mul(torch.linear(y, l.up.weight())), l.down.weight()));
        }
        return torch.linear(torch.rms_norm(h, last, new TensorOptional(model.finalNorm()), eps), model.lmHead());
    }

    private static void memory(PrintWriter out, String what, int calls, Runnable r) {
        for (int i = 0; i < Math.min(50, calls); i++) {
            r.run();
        }
        System.gc();
        long start = rssBytes();
        long peak = start;
        long t0 = System.nanoTime();
        for (int i = 1; i <= calls; i++) {
            r.run();
            if (i % 100 == 0) {
                peak = Math.max(peak, rssBytes());
            }
        }
        long end = rssBytes();
        out.printf("RSS over %d %s calls: %.1f MB after warm-up -> %.1f MB at the end (peak %.1f MB), %.2f ms/call%n",
                calls, what, start / 1e6, end / 1e6, peak / 1e6, (System.nanoTime() - t0) / 1e6 / calls);
        out.flush();
    }

    /**
     * CPU seconds per cheap libtorch call through JNI: dispatch, a new Tensor handle, scope
     * bookkeeping, release.
     */
    private static double trivialCallSeconds() {
        Tensor small = torch.ones(1);
        double best = Double.MAX_VALUE;
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 5; round++) {
            long t0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < 200; i++) {
                try (PointerScope s = new PointerScope()) {
                    for (int j = 0; j < 100; j++) {
                        small.view(-1);
                    }
                }
            }
            best = Math.min(best, (threads.getCurrentThreadCpuTime() - t0) / 1e9 / 20000);
        }
        small.close();
        return best;
    }

    /** Resident set size as the kernel counts it (JavaCPP reads /proc/self/statm). */
    static long rssBytes() {
        return Pointer.physicalBytes();
    }

    /** Seconds per step, by the wall clock and by this thread's CPU clock; best of rounds. */
    record Timing(double wall, double cpu) {
        static final Timing NONE = new Timing(Double.MAX_VALUE, Double.MAX_VALUE);

        Timing best(Timing other) {
            return new Timing(Math.min(wall, other.wall), Math.min(cpu, other.cpu));
        }

        double pick(boolean cpuClock) {
            return cpuClock ? cpu : wall;
        }
    }

    private static Timing time(int iterations, Runnable r) {
        r.run();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            r.run();
        }
        double wall = (System.nanoTime() - t0) / 1e9 / iterations;
        return new Timing(wall, (threads.getCurrentThreadCpuTime() - c0) / 1e9 / iterations);
    }

    private static long[][] randomIds(int batch, int seq, int vocab, long seed) {
        Random random = new Random(seed);
        long[][] ids = new long[batch][seq];
        for (long[] row : ids) {
            for (int i = 0; i < seq; i++) {
                row[i] = random.nextInt(vocab);
            }
        }
        return ids;
    }
}
