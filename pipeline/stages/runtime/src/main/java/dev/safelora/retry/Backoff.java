package dev.safelora.retry;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The one retry policy of the stage loops and the registry client: exponential backoff (the ceiling doubles
 * after each failed attempt, from {@code initial} up to {@code max}), with jitter (the actual wait is drawn
 * uniformly from the top {@code jitter} fraction of the ceiling, so that stages failing together do not retry
 * together), and an attempt budget.
 *
 * <p>Hand-written rather than resilience4j-retry or Failsafe: those run a blocking retry around a call, while
 * the stage loops must never block in a retry (they pause the partition, keep polling and resume it when the
 * delay is over), so what all three callers share is only this arithmetic. The S3 store uses the AWS SDK's
 * own retry policy.
 *
 * @param initial     ceiling of the wait after the first failed attempt
 * @param max         the largest wait
 * @param maxAttempts attempts in all, the first included (1 = no retry)
 * @param jitter      fraction of the ceiling drawn at random, 0 (none) to 1 (anywhere in [0, ceiling])
 */
public record Backoff(Duration initial, Duration max, int maxAttempts, double jitter) {

    public Backoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative()) {
            throw new IllegalArgumentException("backoff initial wait must not be negative, got " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff max wait " + max + " is below the initial wait " + initial);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("backoff attempts must be at least 1, got " + maxAttempts);
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("backoff jitter must be in [0, 1], got " + jitter);
        }
    }

    /** Half of each wait drawn at random. */
    public static final double DEFAULT_JITTER = 0.5;

    public static Backoff exponential(Duration initial, Duration max, int maxAttempts) {
        return new Backoff(initial, max, maxAttempts, DEFAULT_JITTER);
    }

    /** The same policy without jitter (exact waits: tests, or a single client). */
    public Backoff withoutJitter() {
        return new Backoff(initial, max, maxAttempts, 0);
    }

    /** The longest wait after failed attempt number {@code failedAttempts} (1-based): initial * 2^(n-1), capped. */
    public Duration ceiling(int failedAttempts) {
        int doublings = Math.min(Math.max(failedAttempts, 1) - 1, 62);
        long millis = initial.toMillis();
        long capped = max.toMillis();
        return Duration.ofMillis(doublings >= Long.numberOfLeadingZeros(millis) - 1 ? capped : Math.min(millis << doublings, capped));
    }

    /** The wait after failed attempt number {@code failedAttempts}, jittered. */
    public Duration delay(int failedAttempts) {
        return delay(failedAttempts, ThreadLocalRandom.current());
    }

    public Duration delay(int failedAttempts, RandomGenerator random) {
        long ceiling = ceiling(failedAttempts).toMillis();
        long spread = (long) Math.floor(ceiling * jitter);
        return Duration.ofMillis(ceiling - (spread == 0 ? 0 : random.nextLong(spread + 1)));
    }

    /** Whether {@code attempts} attempts use up the budget (no further attempt is allowed). */
    public boolean exhausted(int attempts) {
        return attempts >= maxAttempts;
    }
}
