package dev.safelora.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each decoder layer runs in a pointer scope of its own, so a forward leaves the caller's scope holding one
 * handle per layer (its output) instead of every intermediate: libtorch can free what autograd does not save
 * while the step is still running. Counted with JavaCPP's live native pointers, independent of the GC.
 */
class ActivationScopesTest {

    private static final long[] IDS = {1, 17, 29, 45, 3, 30, 12, 99, 12, 7, 8, 9};

    /** Live native handles a training forward leaves in the caller's scope (and that backward still works). */
    private static long handlesLeftByForward(Path dir, boolean grad) {
        try (CausalLm model = CausalLm.load(dir, ComputeDevice.cpu())) {
            model.addTrainableLora(new LoraSpec(4, 8, false, List.of("q_proj", "v_proj"), 0.0, 1));
            model.train();
            try (PointerScope scope = new PointerScope()) {
                Tensor ids = Tensors.fromLongs(IDS, 2, IDS.length / 2);
                long before = Pointer.totalCount();
                Tensor logits;
                if (grad) {
                    logits = model.forward(ids, null);
                } else {
                    try (NoGradGuard noGrad = new NoGradGuard()) {
                        logits = model.forward(ids, null);
                    }
                }
                long after = Pointer.totalCount();
                if (grad) {
                    logits.pow(new Scalar(2)).mean().backward();
                    assertThat(model.trainableParameters().get(1).grad().abs().sum().item_float()).isGreaterThan(0f);
                }
                return after - before;
            }
        }
    }

    @Test
    void aForwardLeavesAboutOneHandlePerLayerInTheCallersScope(@TempDir Path tmp) {
        Path two = tmp.resolve("two");
        Path six = tmp.resolve("six");
        TinyModels.write(two, TinyModels.Shape.llama().withLayers(2), 4);
        TinyModels.write(six, TinyModels.Shape.llama().withLayers(6), 4);
        for (boolean grad : new boolean[] {true, false}) {
            double perExtraLayer = (handlesLeftByForward(six, grad) - handlesLeftByForward(two, grad)) / 4.0;
            // Before the per-layer scopes, every layer left its ~40 intermediates (norms, projections, RoPE halves,
            // attention, LoRA branches) here until the step ended.
            assertThat(perExtraLayer).as("handles per extra layer, grad " + grad).isLessThanOrEqualTo(2.0);
        }
    }
}
