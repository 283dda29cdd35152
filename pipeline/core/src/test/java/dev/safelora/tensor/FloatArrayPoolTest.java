package dev.safelora.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FloatArrayPoolTest {

    @Test
    void keepsOneSpareArrayPerLengthSoAlternatingSizesAreNotReallocated() {
        FloatArrayPool pool = new FloatArrayPool();
        assertThat(pool.take(8)).isNull();
        float[] large = new float[8];
        float[] small = new float[2];
        pool.give(large);
        pool.give(small);
        assertThat(pool.take(8)).isSameAs(large);
        assertThat(pool.take(8)).as("taken once").isNull();
        assertThat(pool.take(2)).isSameAs(small);
        assertThat(pool.take(3L + Integer.MAX_VALUE)).isNull();
    }
}
