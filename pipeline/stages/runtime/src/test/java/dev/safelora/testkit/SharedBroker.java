package dev.safelora.testkit;

import dev.safelora.broker.EmbeddedKafkaBroker;

/** The broker of the {@link SharedCluster}, for tests that bring their own registry or topics. */
public final class SharedBroker {

    private SharedBroker() {
    }

    public static EmbeddedKafkaBroker get() {
        return SharedCluster.get().broker();
    }

    public static String bootstrapServers() {
        return get().bootstrapServers();
    }
}
