package dev.safelora.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingBenchmarkTest {

    @TempDir
    Path dir;

    private static TrainingBenchmark.Settings tiny(int seqLen, boolean mixed) {
        return new TrainingBenchmark.Settings(32, 64, 1, 4, seqLen, 4, 1, 4, 1, 1, List.of("q_proj", "v_proj"), 4, 1, mixed);
    }

    @Test
    void mixedLengthsAreSeededMostlyShortAndWithinTheCut() {
        int[] lengths = TrainingBenchmark.exampleLengths(tiny(512, true), 4001);
        assertThat(TrainingBenchmark.exampleLengths(tiny(512, true), 4001)).containsExactly(lengths);
        assertThat(Arrays.stream(lengths).min().orElseThrow()).isEqualTo(16);
        assertThat(Arrays.stream(lengths).max().orElseThrow()).isEqualTo(512);
        int[] sorted = lengths.clone();
        Arrays.sort(sorted);
        // log-normal with median 512 / 4 = 128
        assertThat(sorted[2000]).isBetween(118, 138);
        assertThat(TrainingBenchmark.exampleLengths(tiny(64, false), 5)).containsOnly(64);
    }

    @Test
    void theModesTrainTheSameExamplesAndOnlyGroupingChangesWhatIsComputed() {
        TrainingBenchmark.Result before = TrainingBenchmark.run(tiny(48, true), dir.resolve("before"), TrainingBenchmark.Mode.BEFORE);
        TrainingBenchmark.Result causal = TrainingBenchmark.run(tiny(48, true), dir.resolve("causal"), TrainingBenchmark.Mode.CAUSAL);
        TrainingBenchmark.Result now = TrainingBenchmark.run(tiny(48, true), dir.resolve("now"), TrainingBenchmark.Mode.GROUPED);

        // The same shuffled batches with and without the mask: the same losses, within float rounding.
        assertThat(causal.losses()).hasSameSizeAs(before.losses());
        for (int i = 0; i < before.losses().size(); i++) {
            assertThat(causal.losses().get(i)).isCloseTo(before.losses().get(i), org.assertj.core.data.Offset.offset(1e-5));
        }
        assertThat(causal.paddedTokens()).isEqualTo(before.paddedTokens());
        assertThat(now.paddedTokens()).isLessThan(before.paddedTokens());
        assertThat(before.paddedTokens()).isGreaterThan(before.timedTokens());
        assertThat(now.peakRssKb()).isGreaterThan(now.startRssKb()).isPositive();
    }
}
