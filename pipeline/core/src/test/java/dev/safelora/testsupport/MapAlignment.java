package dev.safelora.testsupport;

import dev.safelora.alignment.AlignmentMatrix;
import dev.safelora.alignment.Bf16Alignment;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.ModuleShape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An in-memory {@link AlignmentSource} over hand-built matrices, for tests. */
public final class MapAlignment implements AlignmentSource {
    private final Map<String, AlignmentMatrix> map = new LinkedHashMap<>();
    private boolean bf16;

    public MapAlignment put(String module, int rows, int cols, float... v) {
        map.put(module, new AlignmentMatrix(module, rows, cols, v, AlignmentMatrix.frobeniusNorm(v)));
        return this;
    }

    @Override
    public List<String> modules() {
        return List.copyOf(map.keySet());
    }

    @Override
    public boolean contains(String module) {
        return map.containsKey(module);
    }

    @Override
    public ModuleShape shape(String module) {
        return new ModuleShape(map.get(module).rows(), map.get(module).cols());
    }

    @Override
    public AlignmentMatrix load(String module) {
        return map.get(module);
    }

    /**
     * Also serves each V as a bf16 artifact stores it (V^T's bytes, read by row blocks), so the projector takes the bf16
     * kernels; every value of V must then be a bf16 value (its float's low 16 bits zero).
     */
    public MapAlignment servingBf16() {
        bf16 = true;
        return this;
    }

    @Override
    public Bf16Alignment loadBf16(String module) {
        if (!bf16) {
            return null;
        }
        AlignmentMatrix m = map.get(module);
        int rows = m.rows();
        int cols = m.cols();
        ByteBuffer transposed = ByteBuffer.allocateDirect(2 * rows * cols).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                int bits = Float.floatToRawIntBits(m.v()[i * cols + j]);
                if ((bits & 0xFFFF) != 0) {
                    throw new IllegalArgumentException(module + ": element " + (i * cols + j) + " is not a bf16 value");
                }
                transposed.putShort(2 * (j * rows + i), (short) (bits >>> 16));
            }
        }
        long rowBytes = 2L * rows;
        return new Bf16Alignment(module, rows, cols, true, null,
                (from, to, into) -> into.put(transposed.slice(Math.toIntExact(from * rowBytes), Math.toIntExact((to - from) * rowBytes))),
                "map");
    }

    @Override
    public void close() {
    }
}
