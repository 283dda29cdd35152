package dev.safelora.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private final Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofMillis(500), 4);

    @Test
    void theCeilingDoublesFromTheInitialWaitUpToTheCap() {
        assertThat(backoff.ceiling(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(backoff.ceiling(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.ceiling(3)).isEqualTo(Duration.ofMillis(400));
        assertThat(backoff.ceiling(4)).isEqualTo(Duration.ofMillis(500));
        assertThat(backoff.ceiling(64)).isEqualTo(Duration.ofMillis(500));
        assertThat(backoff.ceiling(Integer.MAX_VALUE)).isEqualTo(Duration.ofMillis(500));
        assertThat(Backoff.exponential(Duration.ofDays(365), Duration.ofDays(3650), 2).ceiling(40)).isEqualTo(Duration.ofDays(3650));
    }

    @Test
    void jitteredWaitsStayInTheTopHalfOfTheCeilingAndSpreadOut() {
        SplittableRandom random = new SplittableRandom(7);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            long wait = backoff.delay(3, random).toMillis();
            assertThat(wait).isBetween(200L, 400L);
            seen.add(wait);
        }
        assertThat(seen).as("different waits for stages that failed together").hasSizeGreaterThan(100).contains(200L, 400L);
        assertThat(backoff.withoutJitter().delay(3, random)).isEqualTo(Duration.ofMillis(400));
    }

    @Test
    void theBudgetCountsEveryAttemptTheFirstIncluded() {
        assertThat(backoff.exhausted(3)).isFalse();
        assertThat(backoff.exhausted(4)).isTrue();
        assertThat(Backoff.exponential(Duration.ofMillis(1), Duration.ofMillis(1), 1).exhausted(1)).as("1 = no retry").isTrue();
    }

    @Test
    void impossiblePoliciesAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofMillis(-1), Duration.ofSeconds(1), 3)).hasMessageContaining("PT-0.001S");
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(2), Duration.ofSeconds(1), 3)).hasMessageContaining("below");
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1), 0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 1.5)).hasMessageContaining("1.5");
    }
}
