package dev.safelora.cli;

import dev.safelora.devicecheck.GpuCheck;
import dev.safelora.devicecheck.StepOutcome;
import dev.safelora.files.FileTrees;
import dev.safelora.model.ComputeDevice;
import dev.safelora.model.CudaEnvironment;
import dev.safelora.model.TinyModels;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gpu-check", mixinStandardHelpOptions = true,
        description = {"Admits a GPU node: the trainer's exact step (forward, backward, clipping, one AdamW step) and 16 greedy"
                + " tokens on a generated small model, in fp32 on the CPU and in bf16 on the device, compared within stated"
                + " tolerances; the device step runs twice for determinism, is timed with device synchronisation, and its peak"
                + " device memory is read. Exit 0 when everything agrees, 1 on any mismatch or when no CUDA device works."})
final class GpuCheckCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--device", converter = DeviceSyntax.class, defaultValue = "cuda:0", paramLabel = "cuda[:N]", description = "The device to check (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--model", paramLabel = "DIR", description = "An HF model directory to check with instead of the generated one.")
    Path model;

    @Override
    public Integer call() throws Exception {
        if (!device.strip().toLowerCase(java.util.Locale.ROOT).startsWith("cuda")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--device must be cuda or cuda:N, got '" + device + "'");
        }
        // No working CUDA device: one line naming the likely cause and the versions (DeviceFailure), exit 1.
        ComputeDevice candidate = ComputeDevice.requireWorking(device);
        Path tmp = null;
        Path dir = model;
        if (dir == null) {
            tmp = Files.createTempDirectory("safelora-gpu-check");
            dir = tmp.resolve("model");
            TinyModels.write(dir, TinyModels.Shape.llama().withLayers(4).withSize(256, 688, 8, 8), 7);
        }
        try {
            GpuCheck.Verdict v = GpuCheck.check(dir, ComputeDevice.cpu(), candidate, GpuCheck.Tolerances.bf16());
            PrintWriter out = spec.commandLine().getOut();
            StepOutcome ref = v.reference();
            StepOutcome cand = v.candidate();
            out.println("device        " + candidate + ", " + CudaEnvironment.probe().versions());
            out.printf("loss          %.6f (cpu fp32 %.6f, %.3f%% apart)%n", cand.loss(), ref.loss(), 100 * v.lossRelative());
            out.printf("grad norm     %.6f (cpu fp32 %.6f, %.3f%% apart)%n", cand.gradNorm(), ref.gradNorm(), 100 * v.gradNormRelative());
            out.printf("LoRA update   %.3f%% mean difference%n", 100 * v.updateRelative());
            out.println("greedy        " + Arrays.toString(cand.greedyTokens()) + " (first " + v.greedyPrefix() + " as on the cpu)");
            out.println("deterministic " + (v.deterministic() ? "yes (two runs identical)" : "NO"));
            out.printf("step time     %.2f ms (synchronised), peak device memory %.1f MiB%n", cand.stepNanos() / 1e6,
                    cand.peakBytes() / 1048576.0);
            v.mismatches().forEach(m -> out.println("MISMATCH      " + m));
            out.println(v.passed() ? "PASS" : "FAIL");
            out.flush();
            return v.passed() ? 0 : 1;
        } finally {
            if (tmp != null) {
                FileTrees.deleteQuietly(tmp);
            }
        }
    }
}
