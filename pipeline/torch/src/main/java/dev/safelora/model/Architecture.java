package dev.safelora.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The decoder-only families this model runs; all share the Llama block layout. */
public enum Architecture {
    LLAMA("LlamaForCausalLM"),
    MISTRAL("MistralForCausalLM"),
    QWEN2("Qwen2ForCausalLM");

    private final String hfName;

    Architecture(String hfName) {
        this.hfName = hfName;
    }

    /** The value HF writes in {@code config.json}'s {@code architectures}. */
    public String hfName() {
        return hfName;
    }

    public static Architecture fromHf(String name) {
        for (Architecture a : values()) {
            if (a.hfName.equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unsupported architecture '" + name + "' (supported: "
                + Arrays.stream(values()).map(Architecture::hfName).collect(Collectors.joining(", ")) + ")");
    }
}
