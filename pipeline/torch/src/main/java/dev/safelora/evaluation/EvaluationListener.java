package dev.safelora.evaluation;

/** Told after each evaluated item; {@code phase} is "heldout", "task" or "safety". */
public interface EvaluationListener {
    void onItem(String phase, int done, int total);

    EvaluationListener NONE = (phase, done, total) -> { };
}
