package dev.safelora.alignment;

/** Rows (out features) and columns (in features) of a module's weight. */
public record ModuleShape(int rows, int cols) {
    @Override
    public String toString() {
        return rows + "x" + cols;
    }
}
