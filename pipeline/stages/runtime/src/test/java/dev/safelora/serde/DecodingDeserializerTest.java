package dev.safelora.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.registry.RegistryUnreachableException;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;

/** Whatever a hostile payload makes the decoder throw, poll gets a failed record to dead-letter, not an escape. */
class DecodingDeserializerTest {

    private static DecodingDeserializer<Object> throwing(Throwable t) {
        Deserializer<Object> inner = (topic, data) -> {
            if (t instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) t;
        };
        return new DecodingDeserializer<>(inner);
    }

    @Test
    void errorsAndUndeclaredExceptionsBecomeFailedRecords() {
        for (Throwable t : new Throwable[] {new StackOverflowError(), new OutOfMemoryError("Java heap space"),
                new ClassCastException("x cannot be cast to y"), new IllegalStateException()}) {
            Decoded<Object> d = throwing(t).deserialize("jobs", new byte[] {0, 0, 0, 0, 1});
            assertThat(d.isOk()).as(t.toString()).isFalse();
            assertThat(d.error().getMessage()).contains("cannot decode a record on topic jobs").contains(t.getClass().getSimpleName());
            assertThat(d.raw()).containsExactly(0, 0, 0, 0, 1);
        }
    }

    @Test
    void anUnreachableRegistryStillThrowsForTheLoopToRetry() {
        RegistryUnreachableException away = new RegistryUnreachableException("http://r:8081", 3, "refused", null);
        assertThatThrownBy(() -> throwing(away).deserialize("jobs", new byte[] {0})).isSameAs(away);
    }
}
