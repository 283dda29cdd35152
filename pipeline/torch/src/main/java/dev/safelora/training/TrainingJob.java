package dev.safelora.training;

import dev.safelora.model.CausalLm;
import dev.safelora.model.ComputeDevice;
import dev.safelora.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One fine-tune from files to a PEFT adapter: load the model and tokenizer from an HF directory,
 * read and tokenize the dataset with the configured template, train, write. This is what the CLI's
 * {@code train} and the trainer stage call.
 *
 * @param skipBadLines skip (and count) dataset lines that cannot be parsed instead of failing
 * @param baseModelName what the adapter's {@code base_model_name_or_path} says (the name serving loads the base
 *                      model by); null writes {@code modelDir}
 */
public record TrainingJob(Path modelDir, Path dataFile, Path outDir, TrainingConfig config, boolean resume,
                          boolean skipBadLines, String baseModelName) {

    /** A job whose adapter names the local {@code modelDir} as its base model. */
    public TrainingJob(Path modelDir, Path dataFile, Path outDir, TrainingConfig config, boolean resume, boolean skipBadLines) {
        this(modelDir, dataFile, outDir, config, resume, skipBadLines, null);
    }

    /** Whether {@code outDir} holds a checkpoint that {@code resume} would continue from. */
    public static boolean hasCheckpoint(Path outDir) {
        return TrainingCheckpoint.latest(outDir).isPresent();
    }

    public TrainingJob {
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(dataFile, "dataFile");
        Objects.requireNonNull(outDir, "outDir");
        Objects.requireNonNull(config, "config");
    }

    /** What the dataset became before training. */
    public record PreparedData(List<TokenizedExample> examples, int skippedLines, int truncated, int dropped) {
    }

    /** Loads the model on the configured device, trains, and frees the model before returning. */
    public TrainingResult run(TrainingListener listener, StopSignal stop) {
        Dataset dataset = DatasetReader.readTraining(dataFile, skipBadLines);
        try (CausalLm model = CausalLm.load(modelDir, ComputeDevice.parse(config.device()))) {
            return train(model, dataset, listener, stop);
        }
    }

    /**
     * Trains on {@code model}, already loaded from {@code modelDir} and without LoRA; the caller keeps
     * owning it (the trainer stage evaluates on the same model afterwards instead of loading it again).
     */
    public TrainingResult run(CausalLm model, TrainingListener listener, StopSignal stop) {
        return train(model, DatasetReader.readTraining(dataFile, skipBadLines), listener, stop);
    }

    private TrainingResult train(CausalLm model, Dataset dataset, TrainingListener listener, StopSignal stop) {
        checkAgainstModel(config, model.config());
        PreparedData data;
        try (TextTokenizer tokenizer = TextTokenizer.load(modelDir)) {
            data = prepare(dataset, ModelText.encoder(tokenizer), ModelText.specialTokens(model.config()),
                    config.template(), config.maxSeqLen());
        }
        if (listener != null) {
            listener.onData(data.examples().size(), data.skippedLines(), data.truncated(), data.dropped());
        }
        return new LoraTrainer(config, listener, stop).train(model, data.examples(), ModelText.padId(model.config()),
                baseModelName != null ? baseModelName : modelDir.toString(), outDir, resume);
    }

    /**
     * The bounds that depend on the model: the sequence length at most its {@code max_position_embeddings} (RoPE
     * is not trained beyond it, and attention memory grows with its square), and r at most the smaller dimension of
     * every targeted projection (a larger rank adds parameters without adding expressiveness).
     */
    public static void checkAgainstModel(TrainingConfig config, dev.safelora.model.ModelConfig model) {
        if (config.maxSeqLen() > model.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("max sequence length " + config.maxSeqLen() + " exceeds the model's"
                    + " max_position_embeddings " + model.maxPositionEmbeddings());
        }
        for (String target : config.targetModules()) {
            int smaller = switch (target) {
                case "q_proj", "o_proj" -> Math.min(model.hiddenSize(), model.numHeads() * model.headDim());
                case "k_proj", "v_proj" -> Math.min(model.hiddenSize(), model.numKvHeads() * model.headDim());
                case "gate_proj", "up_proj", "down_proj" -> Math.min(model.hiddenSize(), model.intermediateSize());
                default -> Integer.MAX_VALUE;
            };
            if (config.rank() > smaller) {
                throw new IllegalArgumentException("LoRA rank r " + config.rank() + " exceeds " + smaller
                        + ", the smaller dimension of the model's " + target + " modules");
            }
        }
    }

    /**
     * Tokenizes every example with {@code template} and truncates it to {@code maxSeqLen} tokens
     * (dropping the end); an example left without any response token is dropped and counted. No
     * example left is an error. Evaluation's held-out loss prepares its data the same way.
     */
    public static PreparedData prepare(Dataset dataset, TextEncoder encoder, SpecialTokens special,
                                       PromptTemplate template, int maxSeqLen) {
        List<TokenizedExample> examples = new ArrayList<>();
        int truncated = 0;
        int dropped = 0;
        for (TrainingExample ex : dataset.examples()) {
            TokenizedExample full = template.tokenize(ex, encoder, special);
            TokenizedExample cut = full.truncate(maxSeqLen);
            if (cut != full) {
                truncated++;
            }
            if (cut.trainedTokens() == 0) {
                dropped++;
            } else {
                examples.add(cut);
            }
        }
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no example of " + dataset.source() + " keeps a response token within "
                    + maxSeqLen + " tokens; raise --max-seq-len");
        }
        return new PreparedData(examples, dataset.skippedLines(), truncated, dropped);
    }
}
