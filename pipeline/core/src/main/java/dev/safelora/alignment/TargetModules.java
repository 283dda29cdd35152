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
