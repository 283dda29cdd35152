package dev.safelora.cli;

import dev.safelora.model.Adapters;
import dev.safelora.model.CausalLm;
import dev.safelora.model.ComputeDevice;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The model a command runs: {@code --model DIR [--adapter DIR] [--device cpu|cuda|cuda:N]}. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "HF model directory (config.json, safetensors, tokenizer.json)")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT LoRA adapter directory to apply")
    Path adapter;

    @Option(names = "--device", converter = DeviceSyntax.class, defaultValue = "cpu", paramLabel = "cpu|cuda|cuda:N", description = "default: ${DEFAULT-VALUE}")
    String device;

    /** The model on its device with the adapter applied, if one was given. */
    CausalLm load() {
        CausalLm lm = CausalLm.load(model, ComputeDevice.parse(device));
        if (adapter != null) {
            Adapters.apply(lm, adapter);
        }
        return lm;
    }
}
