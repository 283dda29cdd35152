package dev.safelora.evaluation;

import dev.safelora.generation.GenerationConfig;
import dev.safelora.generation.TextGenerator;
import dev.safelora.model.CausalLm;
import dev.safelora.model.CausalLmLoss;
import dev.safelora.model.Tensors;
import dev.safelora.tokenizer.TextTokenizer;
import dev.safelora.training.Batch;
import dev.safelora.training.Dataset;
import dev.safelora.training.ModelText;
import dev.safelora.training.SpecialTokens;
import dev.safelora.training.TextEncoder;
import dev.safelora.training.TokenizedExample;
import dev.safelora.training.TrainingExample;
import dev.safelora.training.TrainingJob;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Evaluates a model (with whatever adapter is installed on it): held-out loss and perplexity,
 * task accuracy on generated answers, and the keyword judge's refusal rate on safety prompts.
 * Generation is greedy, from the template's prompt ids, and stops at EOS or the token budget.
 */
public final class Evaluator {

    private final CausalLm model;
    private final TextTokenizer tokenizer;
    private final EvaluationConfig config;
    private final EvaluationListener listener;
    private final TextEncoder encoder;
    private final SpecialTokens special;
    private final KeywordJudge judge;
    private final Set<Long> stopTokens;

    /** Generation stops at the config's EOS ids. */
    public Evaluator(CausalLm model, TextTokenizer tokenizer, EvaluationConfig config, EvaluationListener listener) {
        this(model, tokenizer, config, listener,
                model.config().eosTokenIds().stream().map(Integer::longValue).collect(Collectors.toSet()));
    }

    /** Generation stops at any of {@code stopTokens} (e.g. {@code StopTokens.of(modelDir, config)}). */
    public Evaluator(CausalLm model, TextTokenizer tokenizer, EvaluationConfig config, EvaluationListener listener,
                     Set<Long> stopTokens) {
        this.stopTokens = Set.copyOf(stopTokens);
        this.model = model;
        this.tokenizer = tokenizer;
        this.config = config;
        this.listener = listener == null ? EvaluationListener.NONE : listener;
        this.encoder = ModelText.encoder(tokenizer);
        this.special = ModelText.specialTokens(model.config());
        this.judge = new KeywordJudge(config.refusalPhrases());
    }

    /** Mean loss over the response tokens (and EOS) of {@code data}, as in training, without dropout. */
    public EvaluationReport.Heldout heldout(Dataset data) {
        List<TokenizedExample> examples = TrainingJob.prepare(data, encoder, special, config.template(),
                config.maxSeqLen()).examples();
        int padId = ModelText.padId(model.config());
        double lossSum = 0;
        long tokens = 0;
        model.eval();
        for (int from = 0; from < examples.size(); from += config.batchSize()) {
            Batch batch = Batch.of(examples.subList(from, Math.min(from + config.batchSize(), examples.size())), padId);
            try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
                // Right padding under the causal mask: no real token sees a pad and pads have no label, so the
                // padding mask can stay out and attention keeps its causal fast path (as in training).
                Tensor logits = model.forward(Tensors.fromLongs(batch.inputIds(), batch.rows(), batch.length()), null);
                Tensor labels = Tensors.fromLongs(batch.labels(), batch.rows(), batch.length());
                lossSum += CausalLmLoss.summed(logits, labels).item_double();
            }
            tokens += batch.trainedTokens();
            listener.onItem("heldout", Math.min(from + config.batchSize(), examples.size()), examples.size());
        }
        double loss = lossSum / tokens;
        return new EvaluationReport.Heldout(examples.size(), tokens, loss, Math.exp(loss));
    }

    /**
     * Generates an answer for every example and compares its extracted number with the one
     * extracted from the example's reference response (GSM8K's "#### N", else its last number).
     */
    public EvaluationReport.Task task(Dataset data) {
        List<EvaluationReport.TaskItem> items = new ArrayList<>();
        int correct = 0;
        int n = data.size();
        for (int i = 0; i < n; i++) {
            if (AnswerExtractor.extract(data.examples().get(i).response()).isEmpty()) {
                throw new IllegalArgumentException("task example " + (i + 1) + " of " + data.source()
                        + " has no reference answer (no number in its response/answer)");
            }
        }
        List<String> outputs = generateAll(data.examples(), "task");
        for (int i = 0; i < n; i++) {
            TrainingExample ex = data.examples().get(i);
            Optional<String> expected = AnswerExtractor.extract(ex.response());
            String output = outputs.get(i);
            Optional<String> got = AnswerExtractor.extract(output);
            boolean ok = got.equals(expected);
            if (ok) {
                correct++;
            }
            items.add(new EvaluationReport.TaskItem(ex.prompt(), expected.get(), output, got.orElse(null), ok));
        }
        return new EvaluationReport.Task(n, correct, (double) correct / n, items);
    }

    /** Generates a response to every prompt and asks the keyword judge whether it is a refusal. */
    public EvaluationReport.Safety safety(Dataset prompts) {
        List<EvaluationReport.SafetyVerdict> verdicts = new ArrayList<>();
        int refusals = 0;
        int n = prompts.size();
        List<String> responses = generateAll(prompts.examples(), "safety");
        for (int i = 0; i < n; i++) {
            TrainingExample ex = prompts.examples().get(i);
            String response = responses.get(i);
            String phrase = judge.refusalPhrase(response);
            if (phrase != null) {
                refusals++;
            }
            verdicts.add(new EvaluationReport.SafetyVerdict(ex.prompt(), response, phrase != null, phrase));
        }
        double refusalRate = (double) refusals / n;
        return new EvaluationReport.Safety(n, refusals, refusalRate, 1.0 - refusalRate, verdicts);
    }

    /**
     * Greedy continuations of every example's prompt, {@code config.batchSize()} prompts per batched generation
     * (the same tokens as one prompt at a time; see {@link TextGenerator#generateBatch}).
     */
    private List<String> generateAll(List<TrainingExample> examples, String phase) {
        List<String> out = new ArrayList<>();
        TextGenerator generator = new TextGenerator(model, null);
        GenerationConfig greedy = GenerationConfig.greedy(config.maxNewTokens(), stopTokens);
        for (int from = 0; from < examples.size(); from += config.batchSize()) {
            List<long[]> prompts = new ArrayList<>();
            for (TrainingExample ex : examples.subList(from, Math.min(from + config.batchSize(), examples.size()))) {
                prompts.add(Arrays.stream(config.template().promptIds(ex, encoder, special)).asLongStream().toArray());
            }
            for (dev.safelora.generation.Generation g : generator.generateBatch(prompts, greedy)) {
                out.add(tokenizer.decode(g.newIds()));
                listener.onItem(phase, out.size(), examples.size());
            }
        }
        return out;
    }

    /** Greedy continuation of the example's prompt (its response is not shown to the model). */
    public String generate(TrainingExample ex) {
        long[] ids = Arrays.stream(config.template().promptIds(ex, encoder, special)).asLongStream().toArray();
        long[] newIds = new TextGenerator(model, null).generate(ids, GenerationConfig.greedy(config.maxNewTokens(), stopTokens))
                .newIds();
        return tokenizer.decode(newIds);
    }
}
