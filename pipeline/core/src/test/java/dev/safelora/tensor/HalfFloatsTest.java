package dev.safelora.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    private static int bf16(float f) {
        return HalfFloats.floatToBf16(f) & 0xFFFF;
    }

    private static int f16(float f) {
        return HalfFloats.floatToF16(f) & 0xFFFF;
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertThat(bf16(1.0f)).isEqualTo(0x3F80);
        assertThat(bf16(Float.intBitsToFloat(0x3F808000))).as("tie, even below").isEqualTo(0x3F80);
        assertThat(bf16(Float.intBitsToFloat(0x3F818000))).as("tie, odd below rounds up").isEqualTo(0x3F82);
        assertThat(bf16(Float.intBitsToFloat(0x3F808001))).as("just above the tie").isEqualTo(0x3F81);
        assertThat(bf16(Float.intBitsToFloat(0x3F807FFF))).as("just below the tie").isEqualTo(0x3F80);
        assertThat(bf16(-2.0f)).isEqualTo(0xC000);
        assertThat(bf16(0.1f)).isEqualTo(0x3DCD); // 0x3DCCCCCD rounds up
        assertThat(bf16(Float.MAX_VALUE)).as("overflow rounds to infinity").isEqualTo(0x7F80);
        assertThat(bf16(Float.POSITIVE_INFINITY)).isEqualTo(0x7F80);
        assertThat(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7F800001))))).isTrue();
    }

    @Test
    void f16RoundsToNearestEven() {
        assertThat(f16(1.0f)).isEqualTo(0x3C00);
        assertThat(f16(-2.0f)).isEqualTo(0xC000);
        assertThat(f16(0.1f)).isEqualTo(0x2E66);
        assertThat(f16(1f / 3)).isEqualTo(0x3555);
        assertThat(f16(65504f)).isEqualTo(0x7BFF);
        assertThat(f16(65519f)).as("below the tie to infinity").isEqualTo(0x7BFF);
        assertThat(f16(65520f)).as("tie rounds to even: infinity").isEqualTo(0x7C00);
        assertThat(f16(0x1.0p-14f)).as("smallest normal").isEqualTo(0x0400);
        assertThat(f16(0x1.0p-24f)).as("smallest subnormal").isEqualTo(0x0001);
        assertThat(f16(0x1.0p-25f)).as("half the smallest subnormal ties to zero").isEqualTo(0x0000);
        assertThat(f16(0x1.8p-25f)).isEqualTo(0x0001);
        assertThat(f16(0x1.8p-24f)).as("1.5 subnormal units tie to 2").isEqualTo(0x0002);
        assertThat(f16(-0.0f)).isEqualTo(0x8000);
        assertThat(f16(1f + 0x1.0p-11f)).as("tie between 1 and next half, even below").isEqualTo(0x3C00);
        assertThat(f16(1f + 0x1.8p-10f)).as("tie, odd below rounds up").isEqualTo(0x3C02);
        assertThat(f16(Float.NEGATIVE_INFINITY)).isEqualTo(0xFC00);
        assertThat((f16(Float.NaN) & 0x7C00) == 0x7C00 && (f16(Float.NaN) & 0x3FF) != 0).isTrue();
    }

    @Test
    void everyFiniteHalfAndBf16SurvivesARoundTrip() {
        for (int h = 0; h < 0x10000; h++) {
            short s = (short) h;
            if ((h & 0x7C00) != 0x7C00 || (h & 0x3FF) == 0) {
                assertThat(f16(HalfFloats.f16ToFloat(s))).as("f16 %04x", h).isEqualTo(h);
            }
            if ((h & 0x7F80) != 0x7F80 || (h & 0x7F) == 0) {
                assertThat(bf16(HalfFloats.bf16ToFloat(s))).as("bf16 %04x", h).isEqualTo(h);
            }
        }
    }

    @Property
    void roundingPicksTheNearerNeighbour(@ForAll float f) {
        if (Float.isNaN(f) || Float.isInfinite(f) || Math.abs(f) > 60000f) {
            return;
        }
        float rounded = HalfFloats.f16ToFloat(HalfFloats.floatToF16(f));
        short s = HalfFloats.floatToF16(f);
        float up = HalfFloats.f16ToFloat((short) (s + 1));
        float down = HalfFloats.f16ToFloat((short) (s - 1));
        if ((s & 0x7FFF) != 0) {
            assertThat(Math.abs((double) rounded - f)).isLessThanOrEqualTo(Math.abs((double) down - f));
        }
        if ((s & 0x7FFF) < 0x7BFF) {
            assertThat(Math.abs((double) rounded - f)).isLessThanOrEqualTo(Math.abs((double) up - f));
        }
        float b = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(f));
        assertThat(Math.abs((double) b - f)).isLessThanOrEqualTo(Math.abs((double) f) * 0x1.0p-8 + Float.MIN_VALUE);
    }
}
