package dev.safelora.generation;

import dev.safelora.model.CausalLm;
import dev.safelora.model.KvCache;
import dev.safelora.model.Tensors;
import dev.safelora.tokenizer.TextTokenizer;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Autoregressive generation with a KV cache: the prompt runs once, then each step feeds only
 * the newest token. One pointer scope per step keeps native memory flat.
 */
public final class TextGenerator {

    private final CausalLm model;
    private final TextTokenizer tokenizer;

    /** {@code tokenizer} may be null when only ids are generated. */
    public TextGenerator(CausalLm model, TextTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /** Encodes {@code promptText} (with BOS), generates, and decodes the new tokens. */
    public Generation generate(String promptText, GenerationConfig config) {
        if (tokenizer == null) {
            throw new IllegalStateException("no tokenizer: use generate(long[], ...)");
        }
        Generation ids = generate(tokenizer.encode(promptText, true), config);
        return new Generation(ids.promptIds(), ids.newIds(), tokenizer.decode(ids.newIds()), ids.finishReason());
    }

    public Generation generate(long[] promptIds, GenerationConfig config) {
        model.checkTokenIds(promptIds);
        TokenSampler sampler = new TokenSampler(config);
        long[] out = new long[config.maxNewTokens()];
        int produced = 0;
        FinishReason reason = FinishReason.LENGTH;
        boolean wasTraining = model.isTraining();
        model.eval();
        try (NoGradGuard guard = new NoGradGuard(); KvCache cache = model.newCache()) {
            float[] logits = lastLogits(promptIds, cache);
            while (produced < config.maxNewTokens()) {
                long token = sampler.next(logits);
                if (config.stopTokens().contains(token)) {
                    reason = FinishReason.STOP;
                    break;
                }
                out[produced++] = token;
                if (produced == config.maxNewTokens()) {
                    break;
                }
                logits = lastLogits(new long[] {token}, cache);
            }
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
        return new Generation(promptIds.clone(), Arrays.copyOf(out, produced), null, reason);
    }

    /**
     * Generates for several prompts at once: the prompts are left-padded to the longest, each row keeps its own
     * positions (so its numbers are those of the unpadded prompt) and a padding mask, and the KV cache is
     * preallocated for prompt plus budget. Every row gets its own sampler seeded from {@code config}, so the
     * result equals {@link #generate(long[], GenerationConfig)} prompt by prompt; finished rows ride along
     * masked until every row is done.
     */
    public java.util.List<Generation> generateBatch(java.util.List<long[]> prompts, GenerationConfig config) {
        int rows = prompts.size();
        if (rows == 0) {
            return java.util.List.of();
        }
        int longest = 0;
        for (long[] p : prompts) {
            model.checkTokenIds(p);
            longest = Math.max(longest, p.length);
        }
        int budget = config.maxNewTokens();
        if (budget == 0) {
            return prompts.stream().map(p -> new Generation(p.clone(), new long[0], null, FinishReason.LENGTH)).toList();
        }
        int capacity = longest + budget;
        long[][] ids = new long[rows][longest];
        long[][] mask = new long[rows][capacity];
        long[][] positions = new long[rows][longest];
        TokenSampler[] samplers = new TokenSampler[rows];
        for (int r = 0; r < rows; r++) {
            long[] p = prompts.get(r);
            int pad = longest - p.length;
            System.arraycopy(p, 0, ids[r], pad, p.length);
            for (int t = 0; t < longest; t++) {
                mask[r][t] = t < pad ? 0 : 1;
                positions[r][t] = Math.max(0, t - pad);
            }
            samplers[r] = new TokenSampler(config);
        }
        long[][] out = new long[rows][budget];
        int[] produced = new int[rows];
        FinishReason[] reasons = new FinishReason[rows];
        boolean wasTraining = model.isTraining();
        model.eval();
        try (NoGradGuard guard = new NoGradGuard(); KvCache cache = model.newCache(capacity)) {
            float[][] logits = lastLogits(ids, mask, longest, positions, longest - 1, cache);
            int length = longest;
            int done = 0;
            while (done < rows) {
                long[][] next = new long[rows][1];
                long[][] nextPositions = new long[rows][1];
                for (int r = 0; r < rows; r++) {
                    if (reasons[r] != null) {
                        continue; // finished: feeds a masked token
                    }
                    long token = samplers[r].next(logits[r]);
                    if (config.stopTokens().contains(token)) {
                        reasons[r] = FinishReason.STOP;
                        done++;
                        continue;
                    }
                    out[r][produced[r]++] = token;
                    if (produced[r] == budget) {
                        reasons[r] = FinishReason.LENGTH;
                        done++;
                        continue;
                    }
                    next[r][0] = token;
                    mask[r][length] = 1;
                    nextPositions[r][0] = prompts.get(r).length + produced[r] - 1;
                }
                if (done == rows) {
                    break;
                }
                length++;
                logits = lastLogits(next, mask, length, nextPositions, capacity, cache);
            }
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
        java.util.List<Generation> result = new java.util.ArrayList<>();
        for (int r = 0; r < rows; r++) {
            result.add(new Generation(prompts.get(r).clone(), Arrays.copyOf(out[r], produced[r]), null,
                    reasons[r] == null ? FinishReason.LENGTH : reasons[r]));
        }
        return result;
    }

    /** The last position's logits of each row, [rows][vocab], after feeding {@code ids} with the mask's first {@code keys} columns. */
    private float[][] lastLogits(long[][] ids, long[][] mask, int keys, long[][] positions, int maxPosition, KvCache cache) {
        try (PointerScope scope = new PointerScope()) {
            long[][] visible = new long[mask.length][];
            for (int r = 0; r < mask.length; r++) {
                visible[r] = Arrays.copyOf(mask[r], keys);
            }
            Tensor logits = model.forward(Tensors.fromLongs(ids), Tensors.fromLongs(visible), cache, Tensors.fromLongs(positions),
                    maxPosition);
            Tensor last = logits.select(1, logits.size(1) - 1).contiguous();
            float[] flat = Tensors.toFloats(last);
            int vocab = (int) last.size(1);
            float[][] rows = new float[ids.length][];
            for (int r = 0; r < ids.length; r++) {
                rows[r] = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
            }
            return rows;
        }
    }

    private float[] lastLogits(long[] ids, KvCache cache) {
        try (PointerScope scope = new PointerScope()) {
            Tensor logits = model.forward(Tensors.fromLongs(ids, 1, ids.length), null, cache);
            return Tensors.toFloats(logits.select(1, logits.size(1) - 1));
        }
    }
}
