package dev.safelora.cli;

import dev.safelora.audit.query.AuditQueries;
import dev.safelora.audit.report.AdapterReport;
import dev.safelora.audit.report.FamilyReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code audit report --adapter ID | --family F --out FILE}: a self-contained HTML report from the ledger. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Writes a self-contained HTML report of an adapter or a family.",
            "Inline SVG plots, no scripts, no network.",
            "--adapter ID: cosines vs threshold, projected modules, per-layer Pdst, loss and learning rate,",
            "metrics raw vs projected, lineage, inputs; --family F: adapters over time, lineage, latest alignment."})
final class AuditReportCommand extends AuditCommand.LedgerCommand {

    @CommandLine.ArgGroup(multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--adapter", paramLabel = "ID", description = "Report on one adapter.")
        String adapter;

        @Option(names = "--family", paramLabel = "FAMILY", description = "Report on a model family.")
        String family;
    }

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The HTML file to write.")
    Path out;

    @Override
    public Integer call() throws Exception {
        String html;
        try (Connection c = ledger.open()) {
            AuditQueries q = new AuditQueries(c);
            html = target.adapter != null ? AdapterReport.render(q, target.adapter) : FamilyReport.render(q, target.family);
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, html, StandardCharsets.UTF_8);
        out().println("report: " + out.toAbsolutePath());
        out().flush();
        return 0;
    }
}
