package dev.safelora.cli;

import dev.safelora.adapter.PeftAdapter;
import dev.safelora.adapter.ServingConformance;
import dev.safelora.adapter.ServingExport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code safelora export}: an adapter in the form a serving loader applies exactly as PEFT does. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a PEFT adapter in the form a server loads without surprises, and check it against that loader's rules.",
            "--for vllm: every module's own scale (rank_pattern/alpha_pattern, rsLoRA) folded into lora_B and every module",
            "zero-padded to one rank, so rank_pattern and alpha_pattern are empty and vLLM computes PEFT's update (vLLM ignores",
            "both patterns). --for peft: the adapter as it is. Both can set base_model_name_or_path (--base-model)."})
final class ExportCommand implements Callable<Integer> {

    /** The loader the export is for. */
    enum Target { VLLM, PEFT }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "PEFT adapter directory to export.")
    Path adapterDir;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (not the adapter's own).")
    Path out;

    @Option(names = "--for", required = true, paramLabel = "vllm|peft", description = "The loader: vllm or peft.")
    Target target;

    @Option(names = "--max-lora-rank", defaultValue = "16", paramLabel = "N",
            description = "vLLM's --max-lora-rank the server runs with (default ${DEFAULT-VALUE}, vLLM's default; one of 1, 8, 16, 32, 64,"
                    + " 128, 256, 320, 512): a larger adapter rank is refused.")
    int maxLoraRank;

    @Option(names = "--base-model", paramLabel = "NAME", description = "base_model_name_or_path to write: the hub id or name the"
            + " server loads the base model by (default: keep the adapter's).")
    String baseModel;

    @Option(names = "--base", paramLabel = "DIR", description = "Base model directory: also check every module's shape against its config.json.")
    Path base;

    @Override
    public Integer call() {
        if (Files.exists(out) && out.toAbsolutePath().normalize().equals(adapterDir.toAbsolutePath().normalize())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out must not be the adapter's own directory");
        }
        PeftAdapter adapter = PeftAdapter.read(adapterDir);
        Path baseConfig = base == null ? null : base.resolve("config.json");
        if (baseConfig != null && !Files.isRegularFile(baseConfig)) {
            throw new IllegalArgumentException(base + ": no config.json");
        }
        String summary;
        ServingConformance.Loader loader;
        if (target == Target.VLLM) {
            ServingExport.Result result = ServingExport.forVllm(adapter, maxLoraRank, baseModel);
            result.adapter().write(out);
            loader = ServingConformance.Loader.VLLM;
            summary = "exported " + result.adapter().modules().size() + " modules for vLLM at rank " + result.rank()
                    + " (per-module scales folded into lora_B); serve with --enable-lora --max-lora-rank " + result.vllmMaxLoraRank();
        } else {
            ServingExport.forPeft(adapter, baseModel).write(out);
            loader = ServingConformance.Loader.PEFT;
            summary = "exported " + adapter.modules().size() + " modules for PEFT";
        }
        List<String> problems = ServingConformance.check(out, loader, baseConfig, maxLoraRank);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(out + " would not load as is in " + (loader == ServingConformance.Loader.VLLM ? "vLLM" : "PEFT")
                    + ": " + String.join("; ", problems));
        }
        spec.commandLine().getOut().println(summary + " to " + out);
        return 0;
    }
}
