package dev.safelora.cli;

import dev.safelora.audit.ledger.AuditDatabase;
import dev.safelora.audit.ledger.ChainVerifier;
import dev.safelora.audit.query.AuditQueries;
import dev.safelora.audit.query.Table;
import dev.safelora.audit.stage.AnchorReader;
import dev.safelora.contracts.Topic;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code audit ...}: questions to the audit ledger, its integrity check and its reports. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Reads the audit ledger that `stage audit` writes (SQLite or PostgreSQL).",
            "The database: --jdbc-url (default $SAFELORA_AUDIT_JDBC_URL or jdbc:sqlite:safelora-work/audit.db),",
            "--jdbc-user or $SAFELORA_AUDIT_JDBC_USER, the password only from $SAFELORA_AUDIT_JDBC_PASSWORD."},
        subcommands = {AuditCommand.Verify.class, AuditCommand.Adapters.class, AuditCommand.Lineage.class,
            AuditCommand.Failures.class, AuditReportCommand.class})
public final class AuditCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name an audit command: verify, adapters, lineage, failures or report");
    }

    /** Where the ledger is. */
    static final class LedgerOptions {
        @Option(names = "--jdbc-url", paramLabel = "URL",
                description = "jdbc:sqlite:FILE or jdbc:postgresql://HOST/DB (default: $SAFELORA_AUDIT_JDBC_URL or jdbc:sqlite:safelora-work/audit.db).")
        String jdbcUrl;

        @Option(names = "--jdbc-user", paramLabel = "USER", description = "Database user (default: $SAFELORA_AUDIT_JDBC_USER).")
        String user;

        AuditDatabase database() {
            String url = jdbcUrl != null ? jdbcUrl : env("SAFELORA_AUDIT_JDBC_URL", "jdbc:sqlite:safelora-work/audit.db");
            AuditDatabase db = new AuditDatabase(url, user != null ? user : env("SAFELORA_AUDIT_JDBC_USER", null),
                    env("SAFELORA_AUDIT_JDBC_PASSWORD", null));
            if (db.sqlite()) {
                String file = url.substring("jdbc:sqlite:".length()).replaceAll("\\?.*", "");
                if (!java.nio.file.Files.isRegularFile(java.nio.file.Path.of(file))) {
                    throw new IllegalArgumentException("no audit database at " + file + " (run `safelora stage audit` or pass --jdbc-url)");
                }
            }
            return db;
        }

        /** A connection to the ledger, checked to be one ({@link AuditDatabase#openLedger()}). */
        Connection open() {
            return database().openLedger();
        }

        private static String env(String key, String fallback) {
            String v = System.getenv(key);
            return v == null || v.isBlank() ? fallback : v.strip();
        }
    }

    /** How results print. */
    static final class OutputOptions {
        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
                description = "table, csv or json (default: ${DEFAULT-VALUE}).")
        Table.Format format;
    }

    /** {@code 2026-11-01} (midnight UTC) or an ISO-8601 instant, or a duration back from now ({@code 30d}, {@code 12h}). */
    static Instant since(String text) {
        if (text == null) {
            return Instant.ofEpochMilli(Long.MIN_VALUE);
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException notInstant) {
            try {
                return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException notDate) {
                try {
                    Duration back = dev.safelora.stage.StageConfig.parseDuration("--since", text);
                    return Instant.now().minus(back);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--since must be a date (2026-11-01), an instant (2026-11-01T10:00:00Z) or a duration (30d), got '" + text + "'");
                }
            }
        }
    }

    abstract static class LedgerCommand implements Callable<Integer> {
        @Mixin
        LedgerOptions ledger;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Recomputes every hash chain of the ledger and names the first changed, deleted or inserted row.",
                "With --anchors, also checks the chain heads against safelora.audit-anchors.v1 (cluster options below).",
                "Exit 0 only when every chain holds."})
    static final class Verify extends LedgerCommand {
        @Option(names = "--anchors", description = "Check the chains against the anchors published to Kafka.")
        boolean anchors;

        @Option(names = "--ledger-id", paramLabel = "ID", defaultValue = "safelora-audit",
                description = "The ledger whose anchors to read (the audit stage's group id; default: ${DEFAULT-VALUE}).")
        String ledgerId;

        @Mixin
        ClusterOptions cluster;

        @Override
        public Integer call() throws Exception {
            try (Connection c = ledger.open()) {
                List<ChainVerifier.Anchor> anchorList = anchors
                        ? AnchorReader.latest(cluster.reachableSettings(), Topic.AUDIT_ANCHORS.topicName(), ledgerId, Duration.ofSeconds(30))
                        : List.of();
                ChainVerifier.Result result = ChainVerifier.verify(c, anchorList);
                if (result.holds()) {
                    out().printf("ok: %d chains, %d events hold%s%n", result.chains(), result.events(),
                            anchors ? " (" + anchorList.size() + " anchored heads match)" : "");
                    out().flush();
                    return 0;
                }
                for (String p : result.problems()) {
                    spec.commandLine().getErr().println("TAMPERED: " + p);
                }
                spec.commandLine().getErr().flush();
                return 1;
            }
        }
    }

    @Command(name = "adapters", mixinStandardHelpOptions = true,
            description = "Adapters of a family: lineage, projected modules, alignment, safety and task metrics raw -> projected.")
    static final class Adapters extends LedgerCommand {
        @Option(names = "--family", required = true, paramLabel = "FAMILY", description = "Model family.")
        String family;

        @Option(names = "--since", paramLabel = "WHEN", description = "Only adapters published since: a date, an instant or a duration back (30d).")
        String since;

        @Mixin
        OutputOptions output;

        @Override
        public Integer call() throws Exception {
            try (Connection c = ledger.open()) {
                out().print(new AuditQueries(c).adapters(family, since(since)).render(output.format));
                out().flush();
            }
            return 0;
        }
    }

    @Command(name = "lineage", mixinStandardHelpOptions = true,
            description = "The adapter's ancestors, itself (marked *) and its descendants, with the reason of each version.")
    static final class Lineage extends LedgerCommand {
        @Option(names = "--adapter", required = true, paramLabel = "ID", description = "Adapter id.")
        String adapter;

        @Mixin
        OutputOptions output;

        @Override
        public Integer call() throws Exception {
            try (Connection c = ledger.open()) {
                out().print(new AuditQueries(c).lineage(adapter).render(output.format));
                out().flush();
            }
            return 0;
        }
    }

    @Command(name = "failures", mixinStandardHelpOptions = true,
            description = "Dead letters, undecodable records, failed jobs and failed alignments, with their reasons.")
    static final class Failures extends LedgerCommand {
        @Option(names = "--since", paramLabel = "WHEN", description = "Only failures since: a date, an instant or a duration back (7d).")
        String since;

        @Mixin
        OutputOptions output;

        @Override
        public Integer call() throws Exception {
            try (Connection c = ledger.open()) {
                out().print(new AuditQueries(c).failures(since(since)).render(output.format));
                out().flush();
            }
            return 0;
        }
    }
}
