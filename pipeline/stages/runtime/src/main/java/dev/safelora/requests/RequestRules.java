package dev.safelora.requests;

import dev.safelora.artifacts.S3Location;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The business rules every submitted request must meet (ids, URIs, module names), shared by the
 * request kinds. Each check records a problem under the field's path and returns whether the
 * value passed.
 */
final class RequestRules {

    /** The projections of a Llama-family decoder layer that LoRA can target. */
    static final List<String> KNOWN_TARGET_MODULES =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /**
     * Artifact-store schemes. http(s) is refused: a checkpoint or dataset is a directory the stages
     * list and stream tensor by tensor, which plain HTTP cannot list, and fetching model weights
     * from arbitrary web servers is exactly the supply-chain risk the safetensors-only rule avoids.
     */
    static final Set<String> ALLOWED_SCHEMES = Set.of("file", "s3");

    static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern MODULE_NAME = Pattern.compile("[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*");

    private RequestRules() {}

    /** A family name: {@code [a-z0-9][a-z0-9._-]{0,63}}. */
    static boolean family(Problems problems, String path, String value) {
        if (value != null && !ID.matcher(value).matches()) {
            problems.add(path, "\"" + value + "\" is not a valid family name (lower-case letters, digits, '.', '_', '-'; "
                    + "starting with a letter or digit; at most 64 characters)");
            return false;
        }
        return true;
    }

    /** A request or adapter id: a UUID (stored lower-case) or {@code [a-z0-9][a-z0-9._-]{0,63}}. */
    static String id(Problems problems, String path, String value) {
        if (value == null) {
            return null;
        }
        if (UUID_TEXT.matcher(value).matches()) {
            return value.toLowerCase(Locale.ROOT);
        }
        if (!ID.matcher(value).matches()) {
            problems.add(path, "\"" + value + "\" is not a valid id (a UUID, or lower-case letters, digits, '.', '_', '-'; "
                    + "starting with a letter or digit; at most 64 characters)");
            return null;
        }
        return value;
    }

    /** A UUID given by the user (e.g. registrationId). */
    static UUID uuid(Problems problems, String path, String value) {
        if (value == null) {
            return null;
        }
        if (!UUID_TEXT.matcher(value).matches()) {
            problems.add(path, "\"" + value + "\" is not a UUID (8-4-4-4-12 hexadecimal digits)");
            return null;
        }
        return UUID.fromString(value);
    }

    /** An absolute artifact-store URI: {@code file:///abs/path} or {@code s3://bucket/key}. */
    static boolean uri(Problems problems, String path, String value) {
        if (value == null) {
            return false;
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            problems.add(path, "\"" + value + "\" is not a valid URI (" + e.getReason() + " at index " + e.getIndex() + ")");
            return false;
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme == null) {
            problems.add(path, "\"" + value + "\" has no scheme; use an absolute file:// or s3:// URI"
                    + (value.startsWith("/") ? " (e.g. file://" + value + ")" : ""));
            return false;
        }
        if (scheme.equals("http") || scheme.equals("https")) {
            problems.add(path, "\"" + value + "\": " + scheme + ":// is not an artifact store; copy the files to a "
                    + "file:// volume or an s3:// bucket (plain HTTP cannot list a checkpoint directory, and "
                    + "weights are not fetched from arbitrary web servers)");
            return false;
        }
        if (!ALLOWED_SCHEMES.contains(scheme)) {
            problems.add(path, "\"" + value + "\": scheme '" + scheme + "' is not allowed (allowed: file, s3)");
            return false;
        }
        if (scheme.equals("file")) {
            String host = uri.getAuthority();
            if (uri.isOpaque() || uri.getPath() == null || !uri.getPath().startsWith("/")) {
                problems.add(path, "\"" + value + "\" is not an absolute file URI (use file:///absolute/path)");
                return false;
            }
            if (host != null && !host.isEmpty() && !host.equals("localhost")) {
                problems.add(path, "\"" + value + "\" names a remote host '" + host + "'; file URIs must be local (file:///path)");
                return false;
            }
            if (uri.getPath().equals("/")) {
                problems.add(path, "\"" + value + "\" is the file-system root, not an artifact");
                return false;
            }
        } else {
            S3Location location;
            try {
                location = S3Location.parse(uri);
            } catch (IllegalArgumentException e) {
                problems.add(path, e.getMessage());
                return false;
            }
            if (location.key().isEmpty()) {
                problems.add(path, "\"" + S3Location.shown(uri) + "\" has no key after the bucket (use s3://bucket/key)");
                return false;
            }
        }
        return true;
    }

    /** A non-empty list of distinct, known target modules. */
    static boolean targetModules(Problems problems, String path, List<String> modules) {
        if (modules == null) {
            return false;
        }
        if (modules.isEmpty()) {
            problems.add(path, "must name at least one module (known: " + String.join(", ", KNOWN_TARGET_MODULES) + ")");
            return false;
        }
        boolean ok = true;
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < modules.size(); i++) {
            String module = modules.get(i);
            if (!KNOWN_TARGET_MODULES.contains(module)) {
                problems.add(path + "[" + i + "]", "unknown target module \"" + module + "\" (known: "
                        + String.join(", ", KNOWN_TARGET_MODULES) + ")");
                ok = false;
            } else if (!seen.add(module)) {
                problems.add(path + "[" + i + "]", "duplicate target module \"" + module + "\"");
                ok = false;
            }
        }
        return ok;
    }

    /** A full module name whose last part is a known target module, e.g. model.layers.3.self_attn.q_proj. */
    static boolean moduleName(Problems problems, String path, String name) {
        if (!MODULE_NAME.matcher(name).matches()) {
            problems.add(path, "\"" + name + "\" is not a module name (dot-separated, e.g. model.layers.3.self_attn.q_proj)");
            return false;
        }
        String last = name.substring(name.lastIndexOf('.') + 1);
        if (!KNOWN_TARGET_MODULES.contains(last)) {
            problems.add(path, "\"" + name + "\" does not end in a known target module ("
                    + String.join(", ", KNOWN_TARGET_MODULES) + ")");
            return false;
        }
        return true;
    }
}
