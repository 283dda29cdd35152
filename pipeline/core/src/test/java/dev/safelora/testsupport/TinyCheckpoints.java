package dev.safelora.testsupport;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.tensor.DType;
import dev.safelora.tensor.SafetensorsWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tiny Llama-shaped checkpoint pairs and adapters for tests: attention q/k/v/o with grouped-query
 * k/v (narrower than hidden), MLP gate/up/down (non-square).
 */
public final class TinyCheckpoints {
    private TinyCheckpoints() {
    }

    public static final int HIDDEN = 64;
    public static final int KV = 16;
    public static final int INTERMEDIATE = 96;

    /** Out x in of each target module leaf. */
    public static final Map<String, int[]> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("self_attn.q_proj", new int[] {HIDDEN, HIDDEN});
        SHAPES.put("self_attn.k_proj", new int[] {KV, HIDDEN});
        SHAPES.put("self_attn.v_proj", new int[] {KV, HIDDEN});
        SHAPES.put("self_attn.o_proj", new int[] {HIDDEN, HIDDEN});
        SHAPES.put("mlp.gate_proj", new int[] {INTERMEDIATE, HIDDEN});
        SHAPES.put("mlp.up_proj", new int[] {INTERMEDIATE, HIDDEN});
        SHAPES.put("mlp.down_proj", new int[] {HIDDEN, INTERMEDIATE});
    }

    public static String module(int layer, String leaf) {
        return "model.layers." + layer + "." + leaf;
    }

    public static float[] gaussian(Random rnd, int n, double sd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * sd);
        }
        return x;
    }

    /** Writes base and aligned checkpoints (aligned = base + a layer-specific perturbation); returns nothing, files go to the two dirs. */
    public static void writePair(Path baseDir, Path alignedDir, int layers, long seed, DType dtype) {
        Random rnd = new Random(seed);
        SafetensorsWriter base = new SafetensorsWriter().metadata("format", "pt");
        SafetensorsWriter aligned = new SafetensorsWriter().metadata("format", "pt");
        float[] embed = gaussian(rnd, 32 * HIDDEN, 0.02);
        base.addFloats("model.embed_tokens.weight", new long[] {32, HIDDEN}, embed, dtype);
        aligned.addFloats("model.embed_tokens.weight", new long[] {32, HIDDEN}, embed, dtype);
        for (int layer = 0; layer < layers; layer++) {
            for (Map.Entry<String, int[]> e : SHAPES.entrySet()) {
                int[] s = e.getValue();
                float[] w = gaussian(rnd, s[0] * s[1], 0.05);
                float[] d = gaussian(rnd, s[0] * s[1], 0.01 * (1 + layer));
                float[] wa = new float[w.length];
                for (int i = 0; i < w.length; i++) {
                    wa[i] = w[i] + d[i];
                }
                String name = module(layer, e.getKey()) + ".weight";
                base.addFloats(name, new long[] {s[0], s[1]}, w, dtype);
                aligned.addFloats(name, new long[] {s[0], s[1]}, wa, dtype);
            }
            float[] norm = new float[HIDDEN];
            java.util.Arrays.fill(norm, 1f);
            base.addFloats("model.layers." + layer + ".input_layernorm.weight", new long[] {HIDDEN}, norm, dtype);
            aligned.addFloats("model.layers." + layer + ".input_layernorm.weight", new long[] {HIDDEN}, norm, dtype);
        }
        base.write(dir(baseDir).resolve("model.safetensors"));
        aligned.write(dir(alignedDir).resolve("model.safetensors"));
    }

    /** A random adapter over the given module leaves (e.g. {@code self_attn.q_proj}) of every layer. */
    public static PeftAdapter adapter(int layers, List<String> leaves, int r, long seed, boolean rsLora) {
        Random rnd = new Random(seed);
        List<LoraWeights> ws = new ArrayList<>();
        for (int layer = 0; layer < layers; layer++) {
            for (String leaf : leaves) {
                int[] s = SHAPES.get(leaf);
                ws.add(new LoraWeights(module(layer, leaf), r, s[1], s[0], gaussian(rnd, r * s[1], 0.1), gaussian(rnd, s[0] * r, 0.1)));
            }
        }
        List<String> targets = leaves.stream().map(l -> l.substring(l.indexOf('.') + 1)).distinct().toList();
        return PeftAdapter.of(new LoraConfig(r, 2.0 * r, rsLora, targets, 0.0, "tiny-llama", false), ws);
    }

    private static Path dir(Path p) {
        try {
            java.nio.file.Files.createDirectories(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }
}
