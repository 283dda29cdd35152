package dev.safelora.training;

import java.nio.file.Path;
import java.util.List;

/**
 * The examples read from one JSONL file, and how many unreadable lines were skipped (always 0
 * unless skipping was asked for).
 */
public record Dataset(Path source, List<TrainingExample> examples, int skippedLines) {
    public Dataset {
        examples = List.copyOf(examples);
    }

    public int size() {
        return examples.size();
    }
}
