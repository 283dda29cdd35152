package dev.safelora.sweep;

import java.nio.file.Path;

/** Evaluates the model with a PEFT adapter directory applied, or alone when {@code adapterDir} is null. */
@FunctionalInterface
public interface AdapterEvaluator {
    Metrics evaluate(Path adapterDir);
}
