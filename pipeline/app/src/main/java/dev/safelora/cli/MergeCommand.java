package dev.safelora.cli;

import dev.safelora.merge.AdapterMerger;
import dev.safelora.tensor.DType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code safelora merge}: a PEFT LoRA adapter merged into its base model's weights, as a new model directory. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merges a PEFT LoRA adapter into its base model and writes the merged model directory.",
            "W + s B A for every adapter module (s = alpha / r, alpha / sqrt(r) with rsLoRA, rank_pattern and alpha_pattern",
            "honoured), every other tensor copied, as PEFT's merge_and_unload.",
            "Writes model.safetensors, or shards with model.safetensors.index.json above --max-shard-size, and copies",
            "the model directory's other files (config, tokenizer, generation config); pickle weights are never copied."})
final class MergeCommand implements Callable<Integer> {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|B|KB|MB|GB|KIB|MIB|GIB)", Pattern.CASE_INSENSITIVE);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "base model directory (safetensors, single or sharded)")
    Path model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "PEFT LoRA adapter directory")
    Path adapter;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the merged model directory (absent or empty)")
    Path out;

    @Option(names = "--dtype", paramLabel = "f32|bf16|f16", description = "store every float tensor as this dtype (default: each tensor's own)")
    DType dtype;

    @Option(names = "--max-shard-size", defaultValue = "5GB", paramLabel = "SIZE",
            description = "largest weight file, in bytes or with KB/MB/GB (powers of 1000) or KiB/MiB/GiB (default: ${DEFAULT-VALUE})")
    String maxShardSize;

    @Override
    public Integer call() {
        if (dtype != null && !dtype.isFloatingPoint()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--dtype must be f32, bf16 or f16, got " + EnumOptions.cliName(dtype));
        }
        long limit = bytes(maxShardSize);
        AdapterMerger.Result result = AdapterMerger.merge(model, adapter, out, new AdapterMerger.Options(dtype, limit));
        var stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "merged %d modules into %s (%d weight file%s)%n", result.mergedModules().size(), out,
                result.weightFiles().size(), result.weightFiles().size() == 1 ? "" : "s");
        stdout.flush();
        return 0;
    }

    private long bytes(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-shard-size must be a size such as 5GB or 200MB, got " + text);
        }
        long unit = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            case "GB" -> 1_000_000_000L;
            case "KIB" -> 1L << 10;
            case "MIB" -> 1L << 20;
            case "GIB" -> 1L << 30;
            default -> 1L;
        };
        long value;
        try {
            value = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-shard-size is too large: " + text);
        }
        if (value <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-shard-size must be positive, got " + text);
        }
        return value;
    }
}
