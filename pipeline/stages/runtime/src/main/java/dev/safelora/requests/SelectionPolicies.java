package dev.safelora.requests;

import dev.safelora.schema.SelectionMode;
import dev.safelora.schema.SelectionPolicy;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a layer-selection policy object, e.g. {@code {"mode": "TOP_K", "topK": 4}}: THRESHOLD
 * takes {@code threshold} (tau in [-1, 1], default 0.5), TOP_K takes {@code topK} (K > 0),
 * EXPLICIT takes {@code layers} and/or {@code modules} (together non-empty), AUTO takes
 * {@code autoEpsilon} (refusal tolerance, default 0.05) and {@code autoDelta} (task-accuracy budget,
 * default 0.1), both in [0, 1]. Every mode takes {@code remedy} (PROJECT, the default, SUBSPACE,
 * ZERO or SHRINK) and, with SUBSPACE, {@code subspaceRank} (k > 0; default each module's LoRA rank).
 * A field that belongs to another mode is an error, so a policy never silently ignores what the user wrote.
 */
final class SelectionPolicies {

    static final double DEFAULT_THRESHOLD = 0.5;
    static final double DEFAULT_AUTO_EPSILON = 0.05;
    static final double DEFAULT_AUTO_DELTA = 0.1;
    static final List<String> REMEDIES = List.of("PROJECT", "SUBSPACE", "ZERO", "SHRINK");

    private SelectionPolicies() {}

    /** The policy, or null when it has problems (recorded). */
    static SelectionPolicy read(JsonFields f) {
        Problems problems = f.problems();
        Optional<SelectionMode> mode = f.enumValue("mode", SelectionMode.class);
        if (mode.isEmpty() && !f.has("mode")) {
            problems.add(f.pathOf("mode"), "is required (THRESHOLD, TOP_K, EXPLICIT or AUTO)");
        }
        Optional<Double> threshold = f.number("threshold");
        Optional<Integer> topK = f.integer("topK");
        Optional<List<Integer>> layers = f.integers("layers");
        Optional<List<String>> modules = f.strings("modules");
        Optional<String> remedy = f.string("remedy");
        Optional<Integer> subspaceRank = f.integer("subspaceRank");
        Optional<Double> epsilon = f.number("autoEpsilon");
        Optional<Double> delta = f.number("autoDelta");
        f.rejectUnknownFields();
        if (mode.isEmpty()) {
            return null;
        }
        boolean ok = true;
        SelectionPolicy.Builder policy = SelectionPolicy.newBuilder().setMode(mode.get()).setRemedy(remedy.orElse("PROJECT"));
        if (remedy.isPresent() && !REMEDIES.contains(remedy.get())) {
            problems.add(f.pathOf("remedy"), "unknown value \"" + remedy.get() + "\" (expected one of " + String.join(", ", REMEDIES) + ")");
            ok = false;
        } else if (f.has("remedy") && remedy.isEmpty()) {
            ok = false;
        }
        if (subspaceRank.isPresent() || f.has("subspaceRank")) {
            if (!remedy.orElse("PROJECT").equals("SUBSPACE")) {
                problems.add(f.pathOf("subspaceRank"), "applies to remedy SUBSPACE only");
                ok = false;
            } else if (subspaceRank.isEmpty() || subspaceRank.get() <= 0) {
                problems.add(f.pathOf("subspaceRank"), "must be > 0 (the rank of the projector), got " + subspaceRank.orElse(null));
                ok = false;
            } else {
                policy.setSubspaceRank(subspaceRank.get());
            }
        }
        if (mode.get() != SelectionMode.AUTO) {
            ok &= notFor(f, "autoEpsilon", epsilon, mode.get()) & notFor(f, "autoDelta", delta, mode.get());
        }
        switch (mode.get()) {
            case AUTO -> {
                ok &= notFor(f, "threshold", threshold, mode.get()) & notFor(f, "topK", topK, mode.get())
                        & notFor(f, "layers", layers, mode.get()) & notFor(f, "modules", modules, mode.get());
                double eps = epsilon.orElse(DEFAULT_AUTO_EPSILON);
                double dlt = delta.orElse(DEFAULT_AUTO_DELTA);
                if (!(eps >= 0 && eps <= 1)) {
                    problems.add(f.pathOf("autoEpsilon"), "must be in [0, 1] (a refusal-rate tolerance), got " + eps);
                    ok = false;
                }
                if (!(dlt >= 0 && dlt <= 1)) {
                    problems.add(f.pathOf("autoDelta"), "must be in [0, 1] (a task-accuracy budget), got " + dlt);
                    ok = false;
                }
                policy.setAutoEpsilon(eps).setAutoDelta(dlt);
            }
            case THRESHOLD -> {
                ok &= notFor(f, "topK", topK, mode.get()) & notFor(f, "layers", layers, mode.get())
                        & notFor(f, "modules", modules, mode.get());
                double tau = threshold.orElse(DEFAULT_THRESHOLD);
                if (tau < -1 || tau > 1) {
                    problems.add(f.pathOf("threshold"), "must be in [-1, 1] (a cosine), got " + tau);
                    ok = false;
                }
                policy.setThreshold(tau);
            }
            case TOP_K -> {
                ok &= notFor(f, "threshold", threshold, mode.get()) & notFor(f, "layers", layers, mode.get())
                        & notFor(f, "modules", modules, mode.get());
                if (topK.isEmpty()) {
                    if (!f.has("topK")) {
                        problems.add(f.pathOf("topK"), "is required for mode TOP_K (the number of modules to project)");
                    }
                    ok = false;
                } else if (topK.get() <= 0) {
                    problems.add(f.pathOf("topK"), "must be > 0, got " + topK.get());
                    ok = false;
                }
                policy.setTopK(topK.orElse(null));
            }
            case EXPLICIT -> {
                ok &= notFor(f, "threshold", threshold, mode.get()) & notFor(f, "topK", topK, mode.get());
                List<Integer> layerList = layers.orElse(List.of());
                List<String> moduleList = modules.orElse(List.of());
                if (layerList.isEmpty() && moduleList.isEmpty()) {
                    if (!f.has("layers") && !f.has("modules") || layers.isPresent() || modules.isPresent()) {
                        problems.add(f.pathOf("layers"), "mode EXPLICIT needs a non-empty list of layers and/or modules");
                    }
                    ok = false;
                }
                Set<Integer> seenLayers = new HashSet<>();
                for (int i = 0; i < layerList.size(); i++) {
                    int layer = layerList.get(i);
                    if (layer < 0) {
                        problems.add(f.pathOf("layers") + "[" + i + "]", "layer index must be >= 0, got " + layer);
                        ok = false;
                    } else if (!seenLayers.add(layer)) {
                        problems.add(f.pathOf("layers") + "[" + i + "]", "duplicate layer " + layer);
                        ok = false;
                    }
                }
                Set<String> seenModules = new HashSet<>();
                for (int i = 0; i < moduleList.size(); i++) {
                    String path = f.pathOf("modules") + "[" + i + "]";
                    if (!RequestRules.moduleName(problems, path, moduleList.get(i))) {
                        ok = false;
                    } else if (!seenModules.add(moduleList.get(i))) {
                        problems.add(path, "duplicate module \"" + moduleList.get(i) + "\"");
                        ok = false;
                    }
                }
                policy.setLayers(layerList).setModules(moduleList);
            }
        }
        return ok ? policy.build() : null;
    }

    private static boolean notFor(JsonFields f, String field, Optional<?> value, SelectionMode mode) {
        if (value.isPresent() || f.has(field)) {
            f.problems().add(f.pathOf(field), "does not apply to mode " + mode + " (" + usage(mode) + ")");
            return false;
        }
        return true;
    }

    private static String usage(SelectionMode mode) {
        return switch (mode) {
            case THRESHOLD -> "THRESHOLD takes only threshold";
            case TOP_K -> "TOP_K takes only topK";
            case EXPLICIT -> "EXPLICIT takes only layers and/or modules";
            case AUTO -> "AUTO takes only autoEpsilon and autoDelta";
        };
    }
}
