package dev.safelora.adapter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rewrites an adapter so that every serving loader computes the same update as PEFT.
 *
 * <p>vLLM's PEFT helper reads {@code r} and {@code lora_alpha} but not {@code rank_pattern} or
 * {@code alpha_pattern}: it applies one scale {@code alpha / r} to every module, so an adapter whose modules
 * have their own ranks or alphas gets the wrong update there, without a word. {@link #forVllm} folds each module's
 * own scale into B and zero-pads every module to the largest rank: {@code B' A' = s_m B A} with one rank {@code R},
 * {@code lora_alpha = R} and no rsLoRA, so the uniform scale is 1 and both patterns are empty. The extra rank
 * rows of A and columns of B are zero, so the product is unchanged; the result is stored as F32 so the folded
 * scale costs no precision.
 */
public final class ServingExport {

    /** vLLM's default {@code --max-lora-rank}. */
    public static final int VLLM_DEFAULT_MAX_LORA_RANK = 16;
    /** The values vLLM accepts for {@code --max-lora-rank}. */
    public static final List<Integer> VLLM_MAX_LORA_RANKS = List.of(1, 8, 16, 32, 64, 128, 256, 320, 512);

    /** What the export produced: the adapter, its uniform rank and the smallest {@code --max-lora-rank} vLLM needs. */
    public record Result(PeftAdapter adapter, int rank, int vllmMaxLoraRank) {
    }

    private ServingExport() {
    }

    /**
     * The vLLM form of {@code adapter}: uniform rank, per-module scales folded into B, empty patterns.
     *
     * @param maxLoraRank the {@code --max-lora-rank} the server runs with; a larger rank is refused
     * @param baseModel   the {@code base_model_name_or_path} to write, or null to keep the adapter's
     */
    public static Result forVllm(PeftAdapter adapter, int maxLoraRank, String baseModel) {
        requireAllowed(maxLoraRank);
        LoraConfig config = adapter.config();
        int rank = 0;
        for (LoraWeights w : adapter.modules().values()) {
            rank = Math.max(rank, w.r());
        }
        int needed = serverRank(rank);
        if (rank > maxLoraRank) {
            throw new IllegalArgumentException("the adapter's rank " + rank + " exceeds --max-lora-rank " + maxLoraRank
                    + "; serve it with vllm --max-lora-rank " + needed + " and export with --max-lora-rank " + needed);
        }
        List<LoraWeights> folded = new ArrayList<>();
        for (LoraWeights w : adapter.modules().values()) {
            folded.add(fold(w, config.scale(w.module()), rank));
        }
        LoraConfig uniform = new LoraConfig(rank, rank, false, config.targetModules(), config.dropout(),
                baseModel != null ? baseModel : config.baseModelPath(), false, Map.of(), Map.of());
        PeftAdapter out = adapter.withConfigAndModules(uniform, folded).withStorage(dev.safelora.tensor.DType.F32);
        return new Result(out, rank, needed);
    }

    /** The PEFT form: the adapter as it is (PEFT applies the patterns itself), with {@code baseModel} if given. */
    public static PeftAdapter forPeft(PeftAdapter adapter, String baseModel) {
        if (baseModel == null) {
            return adapter;
        }
        return adapter.withConfigAndModules(adapter.config().withBaseModelPath(baseModel), adapter.modules().values());
    }

    /** The smallest value of vLLM's {@code --max-lora-rank} that serves rank {@code rank}. */
    public static int serverRank(int rank) {
        for (int allowed : VLLM_MAX_LORA_RANKS) {
            if (allowed >= rank) {
                return allowed;
            }
        }
        throw new IllegalArgumentException("rank " + rank + " is above vLLM's largest --max-lora-rank "
                + VLLM_MAX_LORA_RANKS.get(VLLM_MAX_LORA_RANKS.size() - 1));
    }

    private static void requireAllowed(int maxLoraRank) {
        if (!VLLM_MAX_LORA_RANKS.contains(maxLoraRank)) {
            throw new IllegalArgumentException("--max-lora-rank must be one of vLLM's values " + VLLM_MAX_LORA_RANKS + ", got " + maxLoraRank);
        }
    }

    /** {@code [s B | 0]} (out x rank) and {@code [A ; 0]} (rank x in). */
    static LoraWeights fold(LoraWeights w, double scale, int rank) {
        float[] a = new float[rank * w.in()];
        System.arraycopy(w.a(), 0, a, 0, w.a().length);
        float[] b = new float[w.out() * rank];
        for (int row = 0; row < w.out(); row++) {
            for (int k = 0; k < w.r(); k++) {
                b[row * rank + k] = (float) (scale * w.b()[row * w.r() + k]);
            }
        }
        return new LoraWeights(w.module(), rank, w.in(), w.out(), a, b);
    }
}
