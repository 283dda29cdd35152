package dev.safelora.it.registry;

import dev.safelora.testkit.SharedCluster;
import org.junit.jupiter.api.Test;

/** {@link RegistryConformance}'s table against the in-process registry: runs everywhere. */
class InProcessRegistryConformanceTest {

    @Test
    void theInProcessRegistryAnswersAsConfluentsApiReferenceSays() throws Exception {
        RegistryConformance.play(SharedCluster.get().registryUrl());
    }
}
