package dev.safelora.registry.server;

import java.util.List;
import java.util.Set;

/**
 * The registry's paths and the methods each takes (the endpoints listed on {@link SchemaRegistryServer}), so that
 * anything else is answered 404 or 405 from the request head alone.
 */
final class Routes {

    private static final Set<String> GET = Set.of("GET");
    private static final Set<String> POST = Set.of("POST");
    private static final Set<String> GET_PUT = Set.of("GET", "PUT");
    private static final Set<String> NONE = Set.of();

    private Routes() {
    }

    /** Methods served on the decoded path {@code p}; empty when the path is not one of the registry's. */
    static Set<String> methods(List<String> p) {
        int n = p.size();
        if (n == 0) {
            return GET;
        }
        return switch (p.get(0)) {
            case "subjects" -> switch (n) {
                case 1 -> GET;
                case 2 -> Set.of("POST", "DELETE");
                case 3 -> p.get(2).equals("versions") ? Set.of("GET", "POST") : NONE;
                case 4 -> p.get(2).equals("versions") ? Set.of("GET", "DELETE") : NONE;
                case 5 -> p.get(2).equals("versions") && (p.get(4).equals("schema") || p.get(4).equals("referencedby")) ? GET : NONE;
                default -> NONE;
            };
            case "schemas" -> switch (n) {
                case 1 -> GET;
                case 2 -> p.get(1).equals("types") ? GET : NONE;
                case 3 -> p.get(1).equals("ids") ? GET : NONE;
                case 4 -> p.get(1).equals("ids") && Set.of("schema", "versions", "subjects").contains(p.get(3)) ? GET : NONE;
                default -> NONE;
            };
            case "contexts" -> n == 1 ? GET : NONE;
            case "compatibility" -> (n == 4 || n == 5) && p.get(1).equals("subjects") && p.get(3).equals("versions") ? POST : NONE;
            case "config" -> n == 1 ? GET_PUT : n == 2 ? Set.of("GET", "PUT", "DELETE") : NONE;
            case "mode" -> n <= 2 ? GET_PUT : NONE;
            default -> NONE;
        };
    }
}
