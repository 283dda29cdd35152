package dev.safelora.tokenizer;

import java.util.Locale;

/**
 * How a user prompt becomes model text for {@code safelora generate}. The tokenizer adds BOS
 * itself, so no template writes {@code <s>}. (Training and evaluation use
 * {@code training.PromptTemplate}, which places BOS/EOS as ids: docs/templates.md.)
 */
public enum PromptTemplate {
    /** The text as given. */
    RAW("raw"),
    /** {@code ### Instruction:\n{prompt}\n\n### Response:\n} then the response. */
    PLAIN("plain"),
    /** Llama-2 chat: {@code [INST] <<SYS>>\n{system}\n<</SYS>>\n\n{prompt} [/INST]} then " " + response. */
    LLAMA2_CHAT("llama2-chat");

    private final String id;

    PromptTemplate(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static PromptTemplate parse(String id) {
        String s = id.strip().toLowerCase(Locale.ROOT);
        for (PromptTemplate t : values()) {
            if (t.id.equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown prompt template '" + id + "' (expected raw, plain or llama2-chat)");
    }

    /** The text the model sees before generating. */
    public String prompt(String userPrompt, String systemPrompt) {
        return switch (this) {
            case RAW -> userPrompt;
            case PLAIN -> "### Instruction:\n" + userPrompt.strip() + "\n\n### Response:\n";
            case LLAMA2_CHAT -> systemPrompt == null || systemPrompt.isBlank()
                    ? "[INST] " + userPrompt.strip() + " [/INST]"
                    : "[INST] <<SYS>>\n" + systemPrompt.strip() + "\n<</SYS>>\n\n" + userPrompt.strip() + " [/INST]";
        };
    }
}
