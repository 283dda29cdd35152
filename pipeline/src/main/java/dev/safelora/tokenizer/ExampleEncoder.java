package dev.safelora.tokenizer;

import java.util.Arrays;

/**
 * Turns (prompt, response) pairs into supervised fine-tuning inputs: the templated prompt (with
 * BOS) followed by the response and EOS; labels repeat the ids but mask the prompt with -100, so
 * only the response is learned.
 */
public final class ExampleEncoder {

    public static final long IGNORE = -100;

    /** One encoded example; {@code promptLength} ids carry label -100. */
    public record Example(long[] inputIds, long[] labels, int promptLength) {
    }

    private final TextTokenizer tokenizer;
    private final PromptTemplate template;
    private final String systemPrompt;
    private final long eos;

    public ExampleEncoder(TextTokenizer tokenizer, PromptTemplate template, String systemPrompt, long eosTokenId) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.systemPrompt = systemPrompt;
        this.eos = eosTokenId;
    }

    /**
     * Encodes prompt and response separately (so the boundary never merges into one token) and
     * truncates the response (never the prompt) to fit {@code maxTokens}.
     */
    public Example encode(String prompt, String response, int maxTokens) {
        long[] promptIds = tokenizer.encode(template.prompt(prompt, systemPrompt), true);
        long[] responseIds = tokenizer.encode(template.response(response), false);
        if (promptIds.length + 1 >= maxTokens) {
            throw new IllegalArgumentException("the prompt alone takes " + promptIds.length + " tokens; max is " + maxTokens);
        }
        int responseLength = Math.min(responseIds.length, maxTokens - promptIds.length - 1);
        long[] ids = new long[promptIds.length + responseLength + 1];
        System.arraycopy(promptIds, 0, ids, 0, promptIds.length);
        System.arraycopy(responseIds, 0, ids, promptIds.length, responseLength);
        ids[ids.length - 1] = eos;
        long[] labels = ids.clone();
        Arrays.fill(labels, 0, promptIds.length, IGNORE);
        return new Example(ids, labels, promptIds.length);
    }
}
