package dev.safelora.audit.ledger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * Where the ledger lives: a JDBC URL ({@code jdbc:sqlite:FILE} embedded, {@code jdbc:postgresql://...} in
 * production) and optional credentials. {@link #migrate} brings the schema up to date with the Flyway
 * migrations in {@code db/audit}, the same files for both databases.
 */
public record AuditDatabase(String jdbcUrl, String user, String password) {

    public AuditDatabase {
        if (jdbcUrl == null || jdbcUrl.isBlank()) {
            throw new IllegalArgumentException("the audit database needs a JDBC URL (stage.audit.jdbc.url)");
        }
        if (!isSqlite(jdbcUrl) && !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("audit JDBC URL must start with jdbc:sqlite: or jdbc:postgresql:, got "
                    + jdbcUrl.replaceAll("\\?.*", "?..."));
        }
    }

    public static AuditDatabase of(String jdbcUrl) {
        return new AuditDatabase(jdbcUrl, null, null);
    }

    public boolean sqlite() {
        return isSqlite(jdbcUrl);
    }

    private static boolean isSqlite(String url) {
        return url.startsWith("jdbc:sqlite:");
    }

    /** Applies the pending migrations; returns how many ran. */
    public int migrate() {
        createSqliteDirectory();
        if (sqlite()) {
            // a file that is no database: Flyway would retry for about ten seconds before giving up
            try (Connection c = connect(); var s = c.createStatement()) {
                s.execute("PRAGMA schema_version");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot migrate the audit database " + redacted() + ": " + sqlReason(e), e);
            }
        }
        try {
            return Flyway.configure()
                    .dataSource(jdbcUrl, user, password)
                    .locations("classpath:db/audit")
                    .placeholders(Map.of("bytes", sqlite() ? "BLOB" : "BYTEA"))
                    .loggers("slf4j")
                    .load()
                    .migrate()
                    .migrationsExecuted;
        } catch (FlywayException e) {
            throw new IllegalStateException("cannot migrate the audit database " + redacted() + ": " + reason(e), e);
        }
    }

    /** The driver's reason, without SQLite's code prefix ("[SQLITE_NOTADB] File opened that is not a database file (...)"). */
    public static String sqlReason(SQLException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.strip().replaceAll("^\\[SQLITE_\\w+\\][^(]*\\((.*)\\)$", "$1");
    }

    /**
     * Flyway's message is a multi-line block (a ruler, "SQL State", "Error Code", "Message"); when the database is
     * the cause, the driver's own message says it in one line.
     */
    static String reason(FlywayException e) {
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof SQLException sql && sql.getMessage() != null) {
                return sqlReason(sql);
            }
        }
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.matches("-+")).findFirst().orElse(m);
    }

    /**
     * A connection to the ledger, checked to be one: the driver's own words for a file that is no database or a
     * database without the ledger's tables ("[SQLITE_ERROR] ... no such table: consumer_positions") name neither.
     * For readers of the ledger (verification, queries), which must not create it as {@link #migrate()} would.
     */
    public Connection openLedger() {
        Connection c = null;
        try {
            c = connect();
            boolean ledger = false;
            try (var tables = c.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
                while (tables.next()) {
                    ledger |= "consumer_positions".equalsIgnoreCase(tables.getString("TABLE_NAME"));
                }
            }
            if (!ledger) {
                throw new IllegalArgumentException(redacted() + " holds no audit ledger (no consumer_positions table; "
                        + "point --jdbc-url at the database `safelora stage audit` writes)");
            }
            return c;
        } catch (SQLException e) {
            closeQuietly(c);
            throw new IllegalStateException("cannot open the audit database " + redacted() + ": " + sqlReason(e), e);
        } catch (RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the failure being reported matters more
            }
        }
    }

    public Connection connect() throws SQLException {
        createSqliteDirectory();
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        Connection c = DriverManager.getConnection(jdbcUrl, p);
        if (sqlite()) {
            try (var s = c.createStatement()) {
                // a reader (the HTTP pages, audit commands) waits for the writer instead of failing
                s.execute("PRAGMA busy_timeout = 10000");
                s.execute("PRAGMA foreign_keys = ON");
            }
        }
        return c;
    }

    /** The URL without query parameters (which may carry credentials), for messages. */
    public String redacted() {
        return jdbcUrl.replaceAll("\\?.*", "");
    }

    private void createSqliteDirectory() {
        if (!sqlite()) {
            return;
        }
        String file = jdbcUrl.substring("jdbc:sqlite:".length()).replaceAll("\\?.*", "");
        if (file.isEmpty() || file.startsWith(":memory:") || file.startsWith("file:")) {
            return;
        }
        Path parent = Path.of(file).toAbsolutePath().getParent();
        try {
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create the directory of the audit database " + file + ": " + e.getMessage(), e);
        }
    }
}
