package dev.safelora.demo;

import dev.safelora.audit.ledger.AuditDatabase;
import dev.safelora.audit.query.AuditQueries;
import dev.safelora.audit.report.AdapterReport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The demo's audit side: once the audit stage has stored each demo adapter's evaluation, writes its HTML report
 * beside the work dir (one per adapter) and prints where the ledger, the report and (while running) the dashboard are.
 */
final class DemoAudit {

    static final String STAGE = "audit";

    private DemoAudit() {}

    static Path database(DemoPaths paths) {
        return paths.stageWork(STAGE).resolve("audit.db");
    }

    static void report(DemoResult result, DemoPaths paths, int httpPort, boolean running, PrintWriter out) {
        Path db = database(paths);
        AuditDatabase ledger = AuditDatabase.of("jdbc:sqlite:" + db);
        out.println();
        out.println("audit ledger:    " + db + "   (./safelora audit verify --jdbc-url jdbc:sqlite:" + db + ")");
        for (DemoResult.RequestResult r : result.requests()) {
            String adapterId = r.adapter().getAdapterId();
            if (awaitEvaluation(ledger, adapterId, Duration.ofSeconds(60))) {
                Path report = paths.root().resolve("audit-report-" + adapterId.replaceAll("[^A-Za-z0-9._-]", "_") + ".html");
                try (Connection c = ledger.connect()) {
                    Files.writeString(report, AdapterReport.render(new AuditQueries(c), adapterId));
                    out.println("audit report:    " + report + " (" + r.fineTune() + ")");
                } catch (Exception e) {
                    out.println("audit report:    not written: " + e.getMessage());
                }
            } else {
                out.println("audit report:    not written: the ledger has no evaluation of the " + r.fineTune() + " adapter yet");
            }
        }
        if (running) {
            out.println("audit dashboard: http://localhost:" + httpPort + "/audit/");
        }
        out.flush();
    }

    private static boolean awaitEvaluation(AuditDatabase ledger, String adapterId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = ledger.connect();
                 PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM evaluations WHERE adapter_id = ?")) {
                s.setString(1, adapterId);
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next() && rs.getLong(1) > 0) {
                        return true;
                    }
                }
            } catch (SQLException notYetMigrated) {
                // the stage creates the schema when it starts
            }
            try {
                Thread.sleep(200); // polling a database another thread fills; nothing to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}
