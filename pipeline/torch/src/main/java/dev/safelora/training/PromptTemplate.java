package dev.safelora.training;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How an example becomes token ids, for training, evaluation and {@code generate} alike (one type: the
 * model must see at generation time exactly the context it was trained on). Each piece of text is
 * encoded separately, so the boundary between the context (labelled {@link TokenizedExample#IGNORE})
 * and the response is exact. The one difference between training and generation is what follows the
 * context: {@link #tokenize} (training, held-out loss) appends the response and EOS and labels them;
 * {@link #promptIds} (generation) stops after the context, and the example's response is ignored.
 * BOS and EOS are placed as ids, never as text. The precise layouts are in docs/templates.md.
 */
public enum PromptTemplate {
    /** [bos] + encode(prompt) + encode(response) + [eos]; system and earlier turns back to back before the prompt. */
    RAW("raw") {
        @Override
        void context(TrainingExample ex, TextEncoder enc, SpecialTokens special, Ids out) {
            out.bos(special);
            if (ex.system() != null) {
                out.text(enc, ex.system());
            }
            for (TrainingExample.Exchange turn : ex.history()) {
                out.text(enc, turn.user());
                out.text(enc, turn.assistant());
            }
            out.text(enc, ex.prompt());
        }
    },
    /** Alpaca-style "### Instruction:" / "### Response:" sections. */
    PLAIN("plain") {
        @Override
        void context(TrainingExample ex, TextEncoder enc, SpecialTokens special, Ids out) {
            out.bos(special);
            StringBuilder text = new StringBuilder();
            if (ex.system() != null) {
                text.append(ex.system()).append("\n\n");
            }
            for (TrainingExample.Exchange turn : ex.history()) {
                text.append("### Instruction:\n").append(turn.user()).append("\n\n### Response:\n")
                        .append(turn.assistant()).append("\n\n");
            }
            text.append("### Instruction:\n").append(ex.prompt()).append("\n\n### Response:\n");
            out.text(enc, text.toString());
        }
    },
    /** Meta's Llama 2 chat format: [bos] [INST] (&lt;&lt;SYS&gt;&gt;...) user [/INST] answer [eos], per turn. */
    LLAMA2_CHAT("llama2-chat") {
        @Override
        void context(TrainingExample ex, TextEncoder enc, SpecialTokens special, Ids out) {
            boolean first = true;
            for (TrainingExample.Exchange turn : ex.history()) {
                out.bos(special);
                out.text(enc, "[INST] " + user(ex, turn.user(), first) + " [/INST] " + turn.assistant().strip() + " ");
                out.eos(special);
                first = false;
            }
            out.bos(special);
            out.text(enc, "[INST] " + user(ex, ex.prompt(), first) + " [/INST]");
        }

        @Override
        String responseText(String response) {
            // Encoded on its own, a SentencePiece tokenizer adds the word-start marker that the
            // space after [/INST] would give in Meta's joint encoding.
            return response.strip();
        }

        private String user(TrainingExample ex, String content, boolean first) {
            if (first && ex.system() != null) {
                return "<<SYS>>\n" + ex.system().strip() + "\n<</SYS>>\n\n" + content.strip();
            }
            return content.strip();
        }
    };

    private final String cliName;

    PromptTemplate(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static PromptTemplate fromName(String name) {
        for (PromptTemplate t : values()) {
            if (t.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown template '" + name + "' (expected raw, plain or llama2-chat)");
    }

    abstract void context(TrainingExample ex, TextEncoder enc, SpecialTokens special, Ids out);

    String responseText(String response) {
        return response;
    }

    /** Context ids then response ids and EOS; labels are the response and EOS ids only. */
    public TokenizedExample tokenize(TrainingExample ex, TextEncoder enc, SpecialTokens special) {
        Ids ids = new Ids();
        context(ex, enc, special, ids);
        int contextLength = ids.size();
        ids.text(enc, responseText(ex.response()));
        ids.eos(special);
        int[] inputIds = ids.toArray();
        int[] labels = inputIds.clone();
        java.util.Arrays.fill(labels, 0, contextLength, TokenizedExample.IGNORE);
        return new TokenizedExample(inputIds, labels);
    }

    /** The ids a model is given to generate the response: the context part of {@link #tokenize}. */
    public int[] promptIds(TrainingExample ex, TextEncoder enc, SpecialTokens special) {
        Ids ids = new Ids();
        context(ex, enc, special, ids);
        return ids.toArray();
    }

    /** A growing list of token ids. */
    static final class Ids {
        private final List<Integer> ids = new ArrayList<>();

        void bos(SpecialTokens special) {
            if (special.hasBos()) {
                ids.add(special.bos());
            }
        }

        void eos(SpecialTokens special) {
            ids.add(special.eos());
        }

        void text(TextEncoder enc, String text) {
            if (text.isEmpty()) {
                return;
            }
            for (int id : enc.encode(text)) {
                ids.add(id);
            }
        }

        int size() {
            return ids.size();
        }

        int[] toArray() {
            return ids.stream().mapToInt(Integer::intValue).toArray();
        }
    }
}
