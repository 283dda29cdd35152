package dev.safelora.alignment;

import dev.safelora.adapter.ModuleNames;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Which weights of a checkpoint are LoRA targets: tensors {@code <module>.weight} whose module's
 * last component (e.g. {@code q_proj}) or full name is one of the targets.
 */
public final class TargetModules {
    private TargetModules() {
    }

    public static final String WEIGHT_SUFFIX = ".weight";

    /** What {@code all} stands for in a target list: every attention and MLP projection of the Llama family. */
    public static final List<String> ALL_PROJECTIONS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /** {@code targets} with {@code all} replaced by {@link #ALL_PROJECTIONS}, duplicates dropped, order kept. */
    public static List<String> expandAll(Collection<String> targets) {
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        for (String t : targets) {
            if (t.equals("all")) {
                out.addAll(ALL_PROJECTIONS);
            } else {
                out.add(t);
            }
        }
        return List.copyOf(out);
    }

    /** Target module names among tensor names, in natural order. */
    public static List<String> find(Collection<String> tensorNames, Set<String> targets) {
        List<String> modules = new ArrayList<>();
        for (String name : tensorNames) {
            if (!name.endsWith(WEIGHT_SUFFIX)) {
                continue;
            }
            String module = name.substring(0, name.length() - WEIGHT_SUFFIX.length());
            if (targets.contains(ModuleNames.leaf(module)) || targets.contains(module)) {
                modules.add(module);
            }
        }
        modules.sort(ModuleNames.NATURAL_ORDER);
        return modules;
    }

    public static String weightOf(String module) {
        return module + WEIGHT_SUFFIX;
    }
}
