package dev.safelora.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BatchTest {

    private static final int X = TokenizedExample.IGNORE;

    @Test
    void padsOnTheRightWithMaskZeroAndIgnoredLabels() {
        TokenizedExample a = new TokenizedExample(new int[] {1, 5, 6, 2}, new int[] {X, X, 6, 2});
        TokenizedExample b = new TokenizedExample(new int[] {1, 7}, new int[] {X, 7});
        Batch batch = Batch.of(List.of(a, b), 0);

        assertThat(batch.rows()).isEqualTo(2);
        assertThat(batch.length()).isEqualTo(4);
        assertThat(batch.inputIds()).containsExactly(1, 5, 6, 2, 1, 7, 0, 0);
        assertThat(batch.labels()).containsExactly(X, X, 6, 2, X, 7, X, X);
        assertThat(batch.attentionMask()).containsExactly(1, 1, 1, 1, 1, 1, 0, 0);
        assertThat(batch.tokens()).isEqualTo(6);
        assertThat(batch.trainedTokens()).isEqualTo(3);
    }
}
