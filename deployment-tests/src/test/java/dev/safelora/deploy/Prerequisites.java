package dev.safelora.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a platform team must create before {@code kubectl apply -k k8s/}, as k8s/README.md lists it in its
 * prerequisites table: rows {@code | Secret | `name` | `key`, `key` | ... |} (or ConfigMap).
 */
record Prerequisites(Map<String, Set<String>> secrets, Map<String, Set<String>> configMaps) {

    private static final Pattern ROW = Pattern.compile("^\\|\\s*(Secret|ConfigMap)\\s*\\|\\s*`([^`]+)`\\s*\\|([^|]*)\\|");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");

    static Prerequisites read(Path readme) {
        try {
            return parse(Files.readAllLines(readme));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Prerequisites parse(List<String> lines) {
        Map<String, Set<String>> secrets = new LinkedHashMap<>();
        Map<String, Set<String>> configMaps = new LinkedHashMap<>();
        for (String line : lines) {
            Matcher row = ROW.matcher(line);
            if (!row.find()) {
                continue;
            }
            Set<String> keys = new java.util.LinkedHashSet<>();
            Matcher code = CODE.matcher(row.group(3));
            while (code.find()) {
                keys.add(code.group(1));
            }
            (row.group(1).equals("Secret") ? secrets : configMaps).put(row.group(2), Set.copyOf(keys));
        }
        return new Prerequisites(Map.copyOf(secrets), Map.copyOf(configMaps));
    }
}
