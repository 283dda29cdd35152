package dev.safelora.evaluation;

import dev.safelora.training.PromptTemplate;
import java.util.List;
import java.util.Objects;

/**
 * How to evaluate: the prompt template (the one the adapter was trained with), the generation
 * budget (greedy decoding, stopping at EOS), the refusal phrases of the keyword judge, and the
 * batch size and sequence limit of the held-out loss.
 */
public record EvaluationConfig(PromptTemplate template, int maxNewTokens, List<String> refusalPhrases, int batchSize,
                               int maxSeqLen) {

    public EvaluationConfig {
        Objects.requireNonNull(template, "template");
        refusalPhrases = List.copyOf(refusalPhrases);
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be >= 1, got " + maxNewTokens);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (maxSeqLen < 2) {
            throw new IllegalArgumentException("max sequence length must be >= 2, got " + maxSeqLen);
        }
    }

    public static EvaluationConfig defaults() {
        return new EvaluationConfig(PromptTemplate.RAW, 256, KeywordJudge.DEFAULT_REFUSAL_PHRASES, 4, 512);
    }

    public EvaluationConfig withTemplate(PromptTemplate t) {
        return new EvaluationConfig(t, maxNewTokens, refusalPhrases, batchSize, maxSeqLen);
    }

    public EvaluationConfig withMaxNewTokens(int n) {
        return new EvaluationConfig(template, n, refusalPhrases, batchSize, maxSeqLen);
    }
}
