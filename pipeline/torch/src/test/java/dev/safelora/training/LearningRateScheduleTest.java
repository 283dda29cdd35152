package dev.safelora.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

    @Test
    void linearWarmupThenLinearDecay() {
        LearningRateSchedule s = new LearningRateSchedule(1.0, 2, 6, LearningRateSchedule.Decay.LINEAR);
        double[] expected = {0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0};
        for (int step = 0; step < expected.length; step++) {
            assertThat(s.at(step)).as("step %d", step).isCloseTo(expected[step], within(1e-12));
        }
    }

    @Test
    void cosineDecayFollowsHalfACosine() {
        LearningRateSchedule s = new LearningRateSchedule(2e-4, 0, 4, LearningRateSchedule.Decay.COSINE);
        assertThat(s.at(0)).isCloseTo(2e-4, within(1e-15));
        assertThat(s.at(1)).isCloseTo(2e-4 * (1 + Math.sqrt(0.5)) / 2, within(1e-15));
        assertThat(s.at(2)).isCloseTo(1e-4, within(1e-15));
        assertThat(s.at(4)).isCloseTo(0, within(1e-15));
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new LearningRateSchedule(0, 0, 1, LearningRateSchedule.Decay.LINEAR)).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> new LearningRateSchedule(Double.NaN, 0, 1, LearningRateSchedule.Decay.LINEAR)).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> new LearningRateSchedule(1, -1, 1, LearningRateSchedule.Decay.LINEAR)).hasMessageContaining("warm-up");
    }
}
