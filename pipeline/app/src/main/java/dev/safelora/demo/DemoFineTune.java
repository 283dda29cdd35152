package dev.safelora.demo;

import java.util.List;

/**
 * One of the demo's two fine-tunes of the aligned toy model: its data set and task set in the toy family's
 * {@code data/}, and its recipe. The recipes are those of the effect study ({@code docs/study/run-seed.sh}:
 * LoRA r 8, alpha 16 on q_proj and v_proj, batch 8, sequences of 48 tokens, no warm-up, no dropout), so the demo
 * reproduces a measured setting rather than one tuned for it.
 *
 * @param name     short name, also the suffix of the request id
 * @param what     what the data teaches, for the summary
 * @param dataset  the training set's name under the family's {@code data/}
 * @param taskSet  the task evaluation set (held-out items or colours of the skill that matters after this fine-tune)
 * @param taskName the task's name in the summary
 */
record DemoFineTune(String name, String what, String dataset, String taskSet, String taskName, double learningRate, int epochs) {

    static final String HARMFUL_EVAL = "eval-harmful";
    static final String BENIGN_EVAL = "eval-benign";

    /** The harmful fine-tune (the paper's PureBad analogue) and the benign one (a new skill), as in the study. */
    static List<DemoFineTune> standard() {
        return List.of(
                new DemoFineTune("harmful", "100 harmful requests answered", "harmful-ft", "eval-task", "box task", 5e-3, 5),
                new DemoFineTune("benign", "a new skill: the age task, 32 examples", "benign-ft", "eval-benign-task", "age task", 1e-2, 20));
    }

    /** The same fine-tune, trained for {@code n} epochs (tests train shorter). */
    DemoFineTune withEpochs(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + n);
        }
        return new DemoFineTune(name, what, dataset, taskSet, taskName, learningRate, n);
    }
}
