package dev.safelora.adapter;

import java.util.Comparator;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Ordering and parsing of module names such as {@code model.layers.10.self_attn.q_proj}. */
public final class ModuleNames {
    private ModuleNames() {
    }

    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)(?:layers|h|blocks|layer)\\.(\\d+)(?:\\.|$)");

    /** Natural order: runs of digits compare as numbers, so {@code layers.2} sorts before {@code layers.10}. */
    public static final Comparator<String> NATURAL_ORDER = ModuleNames::compareNatural;

    /** The transformer layer index in a module name, if it has one. */
    public static OptionalInt layerIndex(String module) {
        Matcher m = LAYER.matcher(module);
        if (m.find()) {
            try {
                return OptionalInt.of(Integer.parseInt(m.group(1)));
            } catch (NumberFormatException e) {
                return OptionalInt.empty();
            }
        }
        return OptionalInt.empty();
    }

    /** The last dotted component, e.g. {@code q_proj}. */
    public static String leaf(String module) {
        int dot = module.lastIndexOf('.');
        return dot < 0 ? module : module.substring(dot + 1);
    }

    static int compareNatural(String x, String y) {
        int i = 0;
        int j = 0;
        while (i < x.length() && j < y.length()) {
            char cx = x.charAt(i);
            char cy = y.charAt(j);
            if (isDigit(cx) && isDigit(cy)) {
                int si = i;
                int sj = j;
                while (i < x.length() && isDigit(x.charAt(i))) {
                    i++;
                }
                while (j < y.length() && isDigit(y.charAt(j))) {
                    j++;
                }
                int c = compareDigits(x.substring(si, i), y.substring(sj, j));
                if (c != 0) {
                    return c;
                }
            } else {
                if (cx != cy) {
                    return Character.compare(cx, cy);
                }
                i++;
                j++;
            }
        }
        int c = Integer.compare(x.length() - i, y.length() - j);
        return c != 0 ? c : x.compareTo(y);
    }

    private static int compareDigits(String a, String b) {
        String ta = stripZeros(a);
        String tb = stripZeros(b);
        if (ta.length() != tb.length()) {
            return Integer.compare(ta.length(), tb.length());
        }
        int c = ta.compareTo(tb);
        return c != 0 ? c : Integer.compare(a.length(), b.length());
    }

    private static String stripZeros(String s) {
        int k = 0;
        while (k < s.length() - 1 && s.charAt(k) == '0') {
            k++;
        }
        return s.substring(k);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
