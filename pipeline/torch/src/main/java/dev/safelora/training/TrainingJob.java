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
 */
public record TrainingJob(Path modelDir, Path dataFile, Path outDir, TrainingConfig config, boolean resume,
                          boolean skipBadLines) {

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
        PreparedData data;
        try (TextTokenizer tokenizer = TextTokenizer.load(modelDir)) {
            data = prepare(dataset, ModelText.encoder(tokenizer), ModelText.specialTokens(model.config()),
                    config.template(), config.maxSeqLen());
        }
        if (listener != null) {
            listener.onData(data.examples().size(), data.skippedLines(), data.truncated(), data.dropped());
        }
        return new LoraTrainer(config, listener, stop).train(model, data.examples(), ModelText.padId(model.config()),
                modelDir.toString(), outDir, resume);
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
