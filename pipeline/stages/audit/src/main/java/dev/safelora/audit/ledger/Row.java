package dev.safelora.audit.ledger;

import java.util.List;
import java.util.stream.Collectors;

/** One row of a ledger table, columns in insertion order. */
public record Row(String table, List<Column> columns) {

    public Row {
        columns = List.copyOf(columns);
    }

    public String insertSql() {
        return "INSERT INTO " + table + " (" + columns.stream().map(Column::name).collect(Collectors.joining(", "))
                + ") VALUES (" + columns.stream().map(c -> "?").collect(Collectors.joining(", ")) + ")";
    }

    public Object value(String column) {
        return columns.stream().filter(c -> c.name().equals(column)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(table + " has no column " + column)).value();
    }
}
