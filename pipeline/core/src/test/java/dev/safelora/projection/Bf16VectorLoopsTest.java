package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.tensor.Floats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The eight-row kernel against two four-row calls, and the even/odd split of B in both layouts, bit for bit. */
class Bf16VectorLoopsTest {

    @Property(tries = 60)
    void eightRowsGiveTheBitsOfTwoCallsOnFourRows(@ForAll @IntRange(min = 1, max = 40) int strips,
                                                  @ForAll @IntRange(min = 1, max = 2) int columnGroups,
                                                  @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Random rnd = new Random(seed);
        int step = Bf16VectorLoops.STEP;
        int n = strips * step;
        int r8 = 8 * columnGroups;
        int rows = 8;
        ByteBuffer v = ByteBuffer.allocateDirect(2 * rows * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows * n; i++) {
            v.putShort(2 * i, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian()) >>> 16));
        }
        float[] b = new float[rows * r8];
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextGaussian();
        }
        float[] start = new float[r8 * n];
        for (int i = 0; i < start.length; i++) {
            start[i] = (float) rnd.nextGaussian();
        }
        int s0 = rnd.nextInt(strips);
        int s1 = s0 + 1 + rnd.nextInt(strips - s0);
        int kg = 8 * rnd.nextInt(columnGroups);
        int at = kg * strips * step;
        double squares = rnd.nextDouble();

        float[] fours = start.clone();
        double first = squares + Bf16VectorLoops.fourRowsTimes8(v, n, 0, b, kg, r8, fours, at, s0, s1);
        double twoFours = first + Bf16VectorLoops.fourRowsTimes8(v, n, 8 * n, b, 4 * r8 + kg, r8, fours, at, s0, s1);
        float[] eights = start.clone();
        double eight = Bf16VectorLoops.eightRowsTimes8(v, n, 0, b, kg, r8, eights, at, s0, s1, squares);

        assertThat(eights).containsExactly(fours);
        assertThat(eight).isEqualTo(twoFours);
    }

    @Property(tries = 80)
    void theSplitOfBReadFromBIsTheSplitOfItsTranspose(@ForAll @IntRange(min = 1, max = 130) int m,
                                                      @ForAll @IntRange(min = 1, max = 13) int r,
                                                      @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Random rnd = new Random(seed);
        float[] b = new float[m * r];
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextGaussian();
        }
        int length = (r + 3) / 4 * 4 * ((m + 1) / 2);
        // the thread's arrays, left dirty by a larger split before, as a kernel thread's are
        VectorBf16Kernels.splitEvenOdd(filled(13 * 131, 7f), 13, 131, 131, 1);
        float[][] fromB = VectorBf16Kernels.splitEvenOdd(b, r, m, 1, r);
        float[] even = Arrays.copyOf(fromB[0], length);
        float[] odd = Arrays.copyOf(fromB[1], length);
        float[] bt = new float[r * m];
        Floats.transposeColumns(b, m, r, 0, r, bt);
        float[][] fromTranspose = VectorBf16Kernels.splitEvenOdd(bt, r, m, m, 1);

        assertThat(even).containsExactly(Arrays.copyOf(fromTranspose[0], length));
        assertThat(odd).containsExactly(Arrays.copyOf(fromTranspose[1], length));
        // and both are the split by its definition: column k of B's even rows, then its odd rows, zero past B
        int half = (m + 1) / 2;
        for (int k = 0; k < length / half; k++) {
            for (int p = 0; p < half; p++) {
                assertThat(even[k * half + p]).isEqualTo(k < r ? b[2 * p * r + k] : 0f);
                assertThat(odd[k * half + p]).isEqualTo(k < r && 2 * p + 1 < m ? b[(2 * p + 1) * r + k] : 0f);
            }
        }
    }

    private static float[] filled(int length, float value) {
        float[] out = new float[length];
        Arrays.fill(out, value);
        return out;
    }
}
