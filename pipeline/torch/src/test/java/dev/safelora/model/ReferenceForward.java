package dev.safelora.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.tensor.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * An independent Llama/Mistral/Qwen2 forward pass in plain double arithmetic, one operation at a
 * time, written from the HF modelling code; reads config.json and the weights itself (through
 * the safetensors reader, not libtorch). Slow and obvious on purpose.
 */
final class ReferenceForward {

    private final JsonNode cfg;
    private final Map<String, double[]> w = new HashMap<>();
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int layers;
    private final int vocab;
    private final int inter;
    private final double eps;
    private final int window;

    ReferenceForward(Path dir) throws IOException {
        cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        hidden = cfg.get("hidden_size").asInt();
        heads = cfg.get("num_attention_heads").asInt();
        kvHeads = cfg.get("num_key_value_heads").asInt();
        headDim = cfg.has("head_dim") ? cfg.get("head_dim").asInt() : hidden / heads;
        layers = cfg.get("num_hidden_layers").asInt();
        vocab = cfg.get("vocab_size").asInt();
        inter = cfg.get("intermediate_size").asInt();
        eps = cfg.get("rms_norm_eps").asDouble();
        window = cfg.path("sliding_window").asInt(0);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            for (String name : ckpt.names()) {
                float[] f = ckpt.floats(name);
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    d[i] = f[i];
                }
                w.put(name, d);
            }
        }
    }

    /** Adds {@code scale * B A} to the weight of {@code module} (LoRA merged by hand). */
    void addLora(String module, float[] a, float[] b, int r, double scale) {
        double[] weight = w.get(module + ".weight");
        int in = a.length / r;
        int out = b.length / r;
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                double s = 0;
                for (int k = 0; k < r; k++) {
                    s += (double) b[i * r + k] * a[k * in + j];
                }
                weight[i * in + j] += scale * s;
            }
        }
    }

    double[][] logits(long[] ids) {
        int t = ids.length;
        double[][] h = new double[t][];
        for (int p = 0; p < t; p++) {
            h[p] = row(w.get("model.embed_tokens.weight"), (int) ids[p], hidden);
        }
        double[] inv = inverseFrequencies();
        for (int l = 0; l < layers; l++) {
            String pre = "model.layers." + l + ".";
            double[][] x = new double[t][];
            for (int p = 0; p < t; p++) {
                x[p] = rmsNorm(h[p], w.get(pre + "input_layernorm.weight"));
            }
            double[][] q = new double[t][];
            double[][] k = new double[t][];
            double[][] v = new double[t][];
            for (int p = 0; p < t; p++) {
                q[p] = rope(linear(x[p], pre + "self_attn.q_proj"), heads, p, inv);
                k[p] = rope(linear(x[p], pre + "self_attn.k_proj"), kvHeads, p, inv);
                v[p] = linear(x[p], pre + "self_attn.v_proj");
            }
            int group = heads / kvHeads;
            for (int p = 0; p < t; p++) {
                double[] attn = new double[heads * headDim];
                for (int hd = 0; hd < heads; hd++) {
                    int kv = hd / group;
                    double[] scores = new double[p + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    // Mistral: a query sees itself and the window-1 positions before it.
                    int first = window > 0 ? Math.max(0, p - window + 1) : 0;
                    for (int s = 0; s < first; s++) {
                        scores[s] = Double.NEGATIVE_INFINITY;
                    }
                    for (int s = first; s <= p; s++) {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += q[p][hd * headDim + d] * k[s][kv * headDim + d];
                        }
                        scores[s] = dot / Math.sqrt(headDim);
                        max = Math.max(max, scores[s]);
                    }
                    double z = 0;
                    for (int s = 0; s <= p; s++) {
                        scores[s] = s < first ? 0 : Math.exp(scores[s] - max);
                        z += scores[s];
                    }
                    for (int s = 0; s <= p; s++) {
                        for (int d = 0; d < headDim; d++) {
                            attn[hd * headDim + d] += scores[s] / z * v[s][kv * headDim + d];
                        }
                    }
                }
                double[] o = linear(attn, pre + "self_attn.o_proj");
                for (int i = 0; i < hidden; i++) {
                    h[p][i] += o[i];
                }
                double[] y = rmsNorm(h[p], w.get(pre + "post_attention_layernorm.weight"));
                double[] g = linear(y, pre + "mlp.gate_proj");
                double[] u = linear(y, pre + "mlp.up_proj");
                double[] m = new double[inter];
                for (int i = 0; i < inter; i++) {
                    m[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
                }
                double[] down = linear(m, pre + "mlp.down_proj");
                for (int i = 0; i < hidden; i++) {
                    h[p][i] += down[i];
                }
            }
        }
        String head = cfg.path("tie_word_embeddings").asBoolean(false) ? "model.embed_tokens.weight" : "lm_head.weight";
        double[][] out = new double[t][vocab];
        for (int p = 0; p < t; p++) {
            double[] n = rmsNorm(h[p], w.get("model.norm.weight"));
            double[] lm = w.get(head);
            for (int vId = 0; vId < vocab; vId++) {
                double s = 0;
                for (int i = 0; i < hidden; i++) {
                    s += lm[vId * hidden + i] * n[i];
                }
                out[p][vId] = s;
            }
        }
        return out;
    }

    private double[] inverseFrequencies() {
        // transformers 5 nests theta and scaling in rope_parameters.
        JsonNode params = cfg.has("rope_parameters") ? cfg.get("rope_parameters") : cfg;
        double theta = params.get("rope_theta").asDouble();
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, 2.0 * i / headDim);
        }
        JsonNode rs = cfg.has("rope_parameters") ? cfg.get("rope_parameters") : cfg.get("rope_scaling");
        if (rs != null && !rs.isNull() && rs.path("rope_type").asText().equals("llama3")) {
            double factor = rs.get("factor").asDouble();
            double low = rs.get("low_freq_factor").asDouble();
            double high = rs.get("high_freq_factor").asDouble();
            double old = rs.get("original_max_position_embeddings").asDouble();
            for (int i = 0; i < inv.length; i++) {
                double wavelen = 2 * Math.PI / inv[i];
                if (wavelen < old / high) {
                    continue;
                }
                if (wavelen > old / low) {
                    inv[i] /= factor;
                } else {
                    double smooth = (old / wavelen - low) / (high - low);
                    inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
                }
            }
        }
        return inv;
    }

    /** Rotate-half RoPE on each head of a [nHeads * headDim] vector at position {@code pos}. */
    private double[] rope(double[] x, int nHeads, int pos, double[] inv) {
        double[] out = new double[x.length];
        int half = headDim / 2;
        for (int hd = 0; hd < nHeads; hd++) {
            int base = hd * headDim;
            for (int i = 0; i < half; i++) {
                double c = Math.cos(pos * inv[i]);
                double s = Math.sin(pos * inv[i]);
                double x1 = x[base + i];
                double x2 = x[base + i + half];
                out[base + i] = x1 * c - x2 * s;
                out[base + i + half] = x2 * c + x1 * s;
            }
        }
        return out;
    }

    private double[] linear(double[] x, String module) {
        double[] weight = w.get(module + ".weight");
        double[] bias = w.get(module + ".bias");
        int in = x.length;
        int out = weight.length / in;
        double[] y = new double[out];
        for (int i = 0; i < out; i++) {
            double s = bias == null ? 0 : bias[i];
            for (int j = 0; j < in; j++) {
                s += weight[i * in + j] * x[j];
            }
            y[i] = s;
        }
        return y;
    }

    private double[] rmsNorm(double[] x, double[] weight) {
        double ms = 0;
        for (double v : x) {
            ms += v * v;
        }
        ms /= x.length;
        double r = 1 / Math.sqrt(ms + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = weight[i] * x[i] * r;
        }
        return y;
    }

    private static double[] row(double[] matrix, int index, int width) {
        double[] r = new double[width];
        System.arraycopy(matrix, index * width, r, 0, width);
        return r;
    }
}
