package dev.safelora.audit.ledger;

/** One typed column value of a ledger row; {@code value} may be null. */
public record Column(String name, Type type, Object value) {

    /** The SQL types the ledger uses, portable between SQLite and PostgreSQL. */
    public enum Type { TEXT, INTEGER, BIGINT, DOUBLE, BOOLEAN, BYTES }

    public static Column text(String name, String value) {
        return new Column(name, Type.TEXT, value);
    }

    public static Column integer(String name, Integer value) {
        return new Column(name, Type.INTEGER, value);
    }

    public static Column bigint(String name, Long value) {
        return new Column(name, Type.BIGINT, value);
    }

    public static Column dbl(String name, Double value) {
        return new Column(name, Type.DOUBLE, value);
    }

    public static Column bool(String name, Boolean value) {
        return new Column(name, Type.BOOLEAN, value);
    }

    public static Column bytes(String name, byte[] value) {
        return new Column(name, Type.BYTES, value);
    }
}
