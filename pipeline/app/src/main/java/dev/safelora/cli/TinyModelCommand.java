package dev.safelora.cli;

import dev.safelora.model.ModelConfig;
import dev.safelora.model.TinyModels;
import dev.safelora.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tiny-model", mixinStandardHelpOptions = true,
        description = "Writes a small random HF model directory (config.json, model.safetensors, tokenizer.json) for trying"
                + " the other commands; with --aligned-from, an 'aligned' sibling of an existing one instead.")
final class TinyModelCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the model directory to write")
    Path out;

    /** The shapes tiny-model writes. */
    enum Preset { LLAMA, LLAMA3_GQA, QWEN2, MISTRAL }

    @Option(names = "--arch", defaultValue = "llama", paramLabel = "NAME", description = "llama, llama3-gqa, qwen2 or mistral (default: ${DEFAULT-VALUE})")
    Preset arch;

    @Option(names = "--layers", paramLabel = "N", description = "number of layers (default: the preset's)")
    Integer layers;

    @Option(names = "--hidden", paramLabel = "N", description = "hidden size (default: the preset's)")
    Integer hidden;

    @Option(names = "--heads", paramLabel = "N", description = "attention heads; must divide --hidden (default: the preset's)")
    Integer heads;

    @Option(names = "--kv-heads", paramLabel = "N", description = "key/value heads; must divide --heads (default: the preset's)")
    Integer kvHeads;

    @Option(names = "--intermediate", paramLabel = "N", description = "MLP intermediate size (default: the preset's)")
    Integer intermediate;

    @Option(names = "--head-scale", defaultValue = "1", paramLabel = "X",
            description = "centre of the final norm's weights: 1 lets a logit reach only about sqrt(hidden / 3), so LoRA"
                    + " training stalls; 4 or more lets adapters make confident predictions (default: ${DEFAULT-VALUE})")
    double headScale;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "random seed of the weights (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "f32|bf16|f16", description = "f32, bf16 or f16 storage (default: ${DEFAULT-VALUE})")
    DType dtype;

    @Option(names = "--aligned-from", paramLabel = "DIR", description = "write a perturbed copy of this model instead")
    Path alignedFrom;

    @Option(names = "--strength", defaultValue = "0.05", paramLabel = "X", description = "relative size of the aligned change (default: ${DEFAULT-VALUE})")
    double strength;

    @Override
    public Integer call() {
        if (alignedFrom != null) {
            TinyModels.writeAligned(alignedFrom, out, strength, seed);
            spec.commandLine().getOut().println("wrote aligned sibling of " + alignedFrom + " to " + out);
            return 0;
        }
        TinyModels.Shape shape = switch (arch) {
            case LLAMA -> TinyModels.Shape.llama();
            case LLAMA3_GQA -> TinyModels.Shape.llama3Gqa();
            case QWEN2 -> TinyModels.Shape.qwen2();
            case MISTRAL -> TinyModels.Shape.mistral();
        };
        if (layers != null) {
            shape = shape.withLayers(layers);
        }
        TinyModels.Shape base = shape;
        TinyModels.Shape sized = OneLineErrors.optionValue(spec, () -> base.withSize(
                hidden == null ? base.hidden() : hidden, intermediate == null ? base.intermediate() : intermediate,
                heads == null ? base.heads() : heads, kvHeads == null ? Math.min(base.kvHeads(), heads == null ? base.heads() : heads) : kvHeads)
                .withHeadScale(headScale));
        shape = sized;
        if (!List.of(DType.F32, DType.BF16, DType.F16).contains(dtype)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--dtype must be f32, bf16 or f16, got " + EnumOptions.cliName(dtype));
        }
        ModelConfig config = TinyModels.write(out, shape, seed, dtype);
        spec.commandLine().getOut().println("wrote " + config.architecture().hfName() + " (" + config.numLayers() + " layers, hidden "
                + config.hiddenSize() + ", vocab " + config.vocabSize() + ") to " + out);
        return 0;
    }
}
