package dev.safelora.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.safelora.broker.BrokerSettings;
import dev.safelora.broker.EmbeddedKafkaBroker;

/**
 * One in-process broker for every test in the JVM (starting one takes seconds). Tests on it use
 * their own topic and subject names. Stopped by a shutdown hook when the test JVM ends.
 */
public final class SharedBroker {

    private static EmbeddedKafkaBroker broker;

    private SharedBroker() {
    }

    public static synchronized EmbeddedKafkaBroker get() {
        if (broker == null) {
            try {
                Path dir = Files.createTempDirectory("safelora-test-broker");
                broker = EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir).withDefaultPartitions(1));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            EmbeddedKafkaBroker started = broker;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "shared-test-broker-stop"));
        }
        return broker;
    }

    public static String bootstrapServers() {
        return get().bootstrapServers();
    }
}
