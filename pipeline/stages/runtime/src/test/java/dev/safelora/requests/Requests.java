package dev.safelora.requests;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** Shared fixtures: a fixed clock, predictable ids, the example request files. */
final class Requests {

    static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
    static final Path EXAMPLES = Path.of("..", "..", "..", "examples", "requests");

    private Requests() {}

    /** A reader whose clock is {@link #NOW} and whose generated ids are 00000000-0000-0000-0000-00000000000n. */
    static RequestReader reader() {
        AtomicLong next = new AtomicLong(1);
        return new RequestReader(Clock.fixed(NOW, ZoneOffset.UTC), () -> new UUID(0, next.getAndIncrement()));
    }

    static UUID generated(long n) {
        return new UUID(0, n);
    }
}
