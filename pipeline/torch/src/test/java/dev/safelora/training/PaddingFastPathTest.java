package dev.safelora.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.model.CausalLm;
import dev.safelora.model.ComputeDevice;
import dev.safelora.model.LoraFactors;
import dev.safelora.model.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer gives attention no padding mask: padded micro-batches take the causal fast path, with the same results. */
class PaddingFastPathTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void oneThread() {
        TinyTask.oneTorchThread();
    }

    /** Examples of 3 to 24 tokens, the first third of each a prompt. */
    private static List<TokenizedExample> mixedLengths(int count, int vocab) {
        Random random = new Random(9);
        List<TokenizedExample> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int length = 3 + random.nextInt(22);
            int[] ids = new int[length];
            int[] labels = new int[length];
            for (int t = 0; t < length; t++) {
                ids[t] = 4 + random.nextInt(vocab - 4);
                labels[t] = t < length / 3 ? TokenizedExample.IGNORE : ids[t];
            }
            out.add(new TokenizedExample(ids, labels));
        }
        return out;
    }

    private record Run(List<LoraFactors> factors, long causal, long masked) {
    }

    private Run train(LoraTrainer trainer, String name) {
        Path modelDir = dir.resolve("model");
        try (CausalLm model = CausalLm.load(modelDir, ComputeDevice.cpu())) {
            ModelConfig config = model.config();
            trainer.train(model, mixedLengths(14, config.vocabSize()), ModelText.padId(config), modelDir.toString(),
                    dir.resolve(name), false);
            return new Run(model.exportLora(), model.causalForwards(), model.maskedForwards());
        }
    }

    @Test
    void paddedBatchesTakeTheCausalPathAndTrainAsTheMaskedPathDoes() {
        TinyTask.model(dir);
        // Shuffled (not grouped) batches of 3 examples of 3 to 24 tokens: nearly every one is padded.
        TrainingConfig config = TinyTask.quickConfig().withGroupByLength(false);
        List<Double> fastLosses = new ArrayList<>();
        List<Double> maskedLosses = new ArrayList<>();
        Run fast = train(new LoraTrainer(config, recorder(fastLosses), null), "fast");
        Run masked = train(new LoraTrainer(config, recorder(maskedLosses), null).withExplicitPaddingMask(), "masked");

        long microBatches = 3 * ((14 + 2) / 3); // 3 epochs of 5 micro-batches
        assertThat(fast.masked()).as("no forward of the trainer passed attention a mask").isZero();
        assertThat(fast.causal()).isEqualTo(microBatches);
        assertThat(masked.masked()).as("the reference run did pad-mask its padded batches").isGreaterThanOrEqualTo(microBatches - 2);

        assertThat(fastLosses).hasSize(maskedLosses.size());
        for (int i = 0; i < fastLosses.size(); i++) {
            assertThat(fastLosses.get(i)).isCloseTo(maskedLosses.get(i), org.assertj.core.data.Offset.offset(1e-5 * maskedLosses.get(i)));
        }
        double largest = 0;
        double size = 0;
        for (int m = 0; m < fast.factors().size(); m++) {
            float[] a = fast.factors().get(m).b();
            float[] b = masked.factors().get(m).b();
            for (int i = 0; i < a.length; i++) {
                largest = Math.max(largest, Math.abs(a[i] - b[i]));
                size = Math.max(size, Math.abs(b[i]));
            }
        }
        assertThat(size).as("B moved away from its zero init").isGreaterThan(1e-3);
        assertThat(largest).isLessThan(1e-4 * size);
    }

    private static TrainingListener recorder(List<Double> losses) {
        return new TrainingListener() {
            @Override
            public void onStep(TrainingProgress p) {
                losses.add(p.loss());
            }
        };
    }
}
