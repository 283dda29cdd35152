package dev.safelora.testsupport;

import dev.safelora.alignment.AlignmentMatrix;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.ModuleShape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An in-memory {@link AlignmentSource} over hand-built matrices, for tests. */
public final class MapAlignment implements AlignmentSource {
    private final Map<String, AlignmentMatrix> map = new LinkedHashMap<>();

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

    @Override
    public void close() {
    }
}
