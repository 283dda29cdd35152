package dev.safelora.model;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import java.nio.file.Path;
import java.util.List;

/** Moves LoRA factors between PEFT adapters and a {@link CausalLm}. */
public final class Adapters {

    private Adapters() {
    }

    /** Reads a PEFT adapter directory and installs it, frozen, on {@code model}. */
    public static PeftAdapter apply(CausalLm model, Path adapterDir) {
        PeftAdapter adapter = PeftAdapter.read(adapterDir);
        apply(model, adapter, false);
        return adapter;
    }

    /** Installs {@code adapter}'s factors, each with its module's scale; {@code trainable} to continue training them. */
    public static void apply(CausalLm model, PeftAdapter adapter, boolean trainable) {
        LoraConfig config = adapter.config();
        model.loadLora(adapter.modules().values().stream()
                .map(w -> new LoraFactors(w.module(), w.r(), w.in(), w.out(), w.a(), w.b(), config.scale(w.module())))
                .toList(), config.dropout(), trainable);
    }

    /** The spec that creates trainable factors matching a PEFT LoRA config. */
    public static LoraSpec spec(LoraConfig config, long seed) {
        return new LoraSpec(config.r(), config.alpha(), config.rsLora(), config.targetModules(), config.dropout(), seed);
    }

    /** The model's current LoRA factors as a PEFT adapter with {@code config}. */
    public static PeftAdapter export(CausalLm model, LoraConfig config) {
        List<LoraWeights> weights = model.exportLora().stream()
                .map(f -> new LoraWeights(f.module(), f.r(), f.in(), f.out(), f.a(), f.b()))
                .toList();
        if (weights.isEmpty()) {
            throw new IllegalStateException("the model has no LoRA factors to export");
        }
        return PeftAdapter.of(config, weights);
    }
}
