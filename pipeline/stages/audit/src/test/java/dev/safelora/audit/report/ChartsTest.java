package dev.safelora.audit.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.audit.query.AuditQueries.ModuleCosine;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Axis ticks, number formats and bar geometry of the report charts, against hand-computed values. */
class ChartsTest {

    @Test
    void ticksAreRoundValuesCoveringTheRange() {
        assertThat(Charts.ticks(0, 1, 4)).containsExactly(0, 0.25, 0.5, 0.75, 1);
        assertThat(Charts.ticks(-1, 1, 8)).containsExactly(-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1);
        assertThat(Charts.ticks(1.3, 2.45, 5)).containsExactly(1.25, 1.5, 1.75, 2, 2.25, 2.5);
        double[] small = Charts.ticks(0, 2e-4, 5);
        assertThat(small).hasSize(5).startsWith(0);
        assertThat(small[4]).isCloseTo(2e-4, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(Charts.ticks(3, 97, 5)).containsExactly(0, 20, 40, 60, 80, 100);
    }

    @Test
    void timeTicksFallOnRoundUtcTimes() {
        double t0 = java.time.Instant.parse("2026-11-02T10:00:10Z").toEpochMilli();
        double[] t = Charts.timeTicks(t0, t0 + 110_000);
        assertThat(t).hasSize(5);
        assertThat(java.util.Arrays.stream(t).mapToObj(Charts.timeFormat(t)::apply))
                .containsExactly("10:00:00", "10:00:30", "10:01:00", "10:01:30", "10:02:00");
        double[] halfDays = Charts.timeTicks(t0, t0 + 3 * 86_400_000.0);
        assertThat(halfDays[1] - halfDays[0]).isEqualTo(43_200_000.0);
        assertThat(Charts.timeFormat(halfDays).apply(halfDays[0])).isEqualTo("11-02 00:00");
        double[] weeks = Charts.timeTicks(t0, t0 + 30 * 86_400_000.0);
        assertThat(weeks[1] - weeks[0]).isEqualTo(604_800_000.0);
        assertThat(Charts.timeFormat(weeks).apply(weeks[0])).matches("\\d{4}-\\d\\d-\\d\\d");
    }

    @Test
    void numbersPrintShortAndExact() {
        assertThat(Charts.fmt(0.875)).isEqualTo("0.875");
        assertThat(Charts.fmt(0.5)).isEqualTo("0.5");
        assertThat(Charts.fmt(2)).isEqualTo("2");
        assertThat(Charts.fmt(2e-4)).isEqualTo("2e-04");
        assertThat(Charts.fmt(-0.125)).isEqualTo("-0.125");
    }

    @Test
    void cosineBarsStartAtZeroAndScaleToTheAxis() {
        String svg = Charts.cosineBars(List.of(new ModuleCosine("a", 0.5, false), new ModuleCosine("b", -0.5, true)), 0.25);
        // axis -1..1 over x 260..680 (width 720 minus 40): 0 at 470, each 0.5 is 105 px
        assertThat(svg).contains("x='470.0' y='43.0' width='105.0'").contains("data-cosine='0.5'");
        assertThat(svg).contains("x='365.0' y='65.0' width='105.0'").contains("class='bar projected'");
        assertThat(svg).contains("<line id='threshold' x1='522.5'").contains("threshold \u03c4 = 0.25");
        assertThat(svg).contains("cosine similarity (unitless, -1 to 1)");
    }
}
