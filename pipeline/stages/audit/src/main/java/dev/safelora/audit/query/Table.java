package dev.safelora.audit.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** A query result: a header and rows of text cells (null for none), printable as a table, CSV or JSON. */
public record Table(List<String> header, List<List<String>> rows) {

    public enum Format { TABLE, CSV, JSON }

    public Table {
        header = List.copyOf(header);
        rows = rows.stream().map(r -> java.util.Collections.unmodifiableList(new ArrayList<>(r))).toList();
    }

    public String render(Format format) {
        return switch (format) {
            case TABLE -> table();
            case CSV -> csv();
            case JSON -> json();
        };
    }

    private String table() {
        int[] width = new int[header.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = header.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], cell(r.get(i)).length());
            }
        }
        StringBuilder b = new StringBuilder();
        line(b, header, width);
        line(b, java.util.Arrays.stream(width).mapToObj("-"::repeat).toList(), width);
        rows.forEach(r -> line(b, r, width));
        return b.toString();
    }

    private static void line(StringBuilder b, List<String> cells, int[] width) {
        for (int i = 0; i < cells.size(); i++) {
            String c = cell(cells.get(i));
            b.append(c);
            if (i < cells.size() - 1) {
                b.append(" ".repeat(width[i] - c.length() + 2));
            }
        }
        b.append('\n');
    }

    private static String cell(String s) {
        return s == null ? "-" : s;
    }

    /** RFC 4180: every cell quoted when it holds a comma, quote or line break; empty for null. */
    private String csv() {
        StringBuilder b = new StringBuilder();
        b.append(header.stream().map(Table::csvCell).collect(Collectors.joining(","))).append("\r\n");
        for (List<String> r : rows) {
            b.append(r.stream().map(Table::csvCell).collect(Collectors.joining(","))).append("\r\n");
        }
        return b.toString();
    }

    private static String csvCell(String s) {
        if (s == null) {
            return "";
        }
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    private String json() {
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode array = mapper.createArrayNode();
        for (List<String> r : rows) {
            ObjectNode o = array.addObject();
            for (int i = 0; i < header.size(); i++) {
                o.put(header.get(i), r.get(i));
            }
        }
        return array.toPrettyString() + "\n";
    }
}
