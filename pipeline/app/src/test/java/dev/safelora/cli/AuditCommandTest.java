package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.audit.LedgerFixture;
import dev.safelora.audit.ledger.AuditDatabase;
import dev.safelora.testkit.SharedCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code audit verify|adapters|lineage|failures} on a known SQLite ledger. */
class AuditCommandTest {

    @TempDir
    static Path dir;
    static String url;

    @BeforeAll
    static void ledger() throws Exception {
        url = "jdbc:sqlite:" + dir.resolve("audit.db");
        LedgerFixture.write(AuditDatabase.of(url), SharedCluster.get().registryClient());
    }

    @Test
    void verifyPassesOnTheLedgerAndFailsOnATamperedCopyNamingTheRow() throws Exception {
        CliRun ok = CliRun.of("audit", "verify", "--jdbc-url", url);
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("ok: 4 chains, 9 events hold");

        Path copy = dir.resolve("tampered.db");
        Files.copy(dir.resolve("audit.db"), copy);
        try (Connection c = AuditDatabase.of("jdbc:sqlite:" + copy).connect(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE evaluation_metrics SET metric_value = 0.0 WHERE name = 'attack_success_rate' AND phase = 'projected'"
                    + " AND event_key = 'safelora.evaluations.v1/0/1'");
        }
        CliRun bad = CliRun.of("audit", "verify", "--jdbc-url", "jdbc:sqlite:" + copy);
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).contains("TAMPERED: chain safelora.evaluations.v1/0: row safelora.evaluations.v1/0/1")
                .contains("metric_value was changed");
    }

    @Test
    void aDatabaseThatHoldsNoLedgerIsNamedInOneLineWithoutTheDriversCodesOrTheFilesContents() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.db")); // a valid, empty SQLite database
        Path text = Files.writeString(dir.resolve("notes.db"), "root:x:0:0:root:/root:/bin/bash\n");
        String[][] commands = {{"audit", "verify"}, {"audit", "adapters", "--family", "fam"}, {"audit", "failures"},
            {"audit", "report", "--family", "fam", "--out", dir.resolve("r.html").toString()}};
        for (String[] command : commands) {
            CliRun noLedger = CliRun.of(concat(command, "--jdbc-url", "jdbc:sqlite:" + empty));
            assertThat(noLedger.exitCode()).as(command[1]).isEqualTo(1);
            assertThat(noLedger.err()).as(command[1]).isEqualTo("safelora: error: jdbc:sqlite:" + empty + " holds no audit ledger "
                    + "(no consumer_positions table; point --jdbc-url at the database `safelora stage audit` writes)" + System.lineSeparator());

            CliRun notADatabase = CliRun.of(concat(command, "--jdbc-url", "jdbc:sqlite:" + text));
            assertThat(notADatabase.exitCode()).as(command[1]).isEqualTo(1);
            assertThat(notADatabase.err()).as(command[1]).isEqualTo("safelora: error: cannot open the audit database jdbc:sqlite:" + text
                    + ": file is not a database" + System.lineSeparator());
        }
        assertThat(dir.resolve("r.html")).doesNotExist();
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    @Test
    void adaptersOfAFamilyAsCsvWithMetricsRawToProjected() {
        CliRun run = CliRun.of("audit", "adapters", "--jdbc-url", url, "--family", "fam", "--format", "csv");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String[] lines = run.out().split("\r\n");
        assertThat(lines[0]).isEqualTo("adapter,published,reason,previous,projected modules,alignment,safety raw->projected,task raw->projected");
        assertThat(lines).hasSize(4);
        assertThat(lines[1]).startsWith("ad-0,2026-11-02T10:00:00Z,NEW_TRAINING,,model.layers.1.self_attn.q_proj,"
                + LedgerFixture.ALIGNMENT_ID + ",attack_success_rate 0.6000->0.1000; refusal_rate 0.4000->0.9000,accuracy 0.8000->0.7800");
        assertThat(lines[3]).startsWith("ad-2,2026-11-02T10:02:00Z,SELECTION_CHANGED,ad-1,");

        CliRun since = CliRun.of("audit", "adapters", "--jdbc-url", url, "--family", "fam", "--since", "2026-11-02T10:01:00Z");
        assertThat(since.out().lines().map(l -> l.split(" ")[0])).containsExactly("adapter", "-------", "ad-1", "ad-2");
    }

    @Test
    void lineageShowsAncestorsTheAdapterAndDescendants() {
        CliRun run = CliRun.of("audit", "lineage", "--jdbc-url", url, "--adapter", "ad-1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String[] lines = run.out().split("\n");
        assertThat(lines[2]).startsWith("ad-0 ");
        assertThat(lines[3]).startsWith("ad-1 *");
        assertThat(lines[4]).startsWith("ad-2 ").contains("SELECTION_CHANGED");

        CliRun missing = CliRun.of("audit", "lineage", "--jdbc-url", url, "--adapter", "nope");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("no adapter nope in the audit ledger");
    }

    @Test
    void failuresListUndecodableRecordsAndFailedJobsAsJson() {
        CliRun run = CliRun.of("audit", "failures", "--jdbc-url", url, "--format", "json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("\"what\" : \"undecodable record\"").contains("unknown magic byte 0x09")
                .contains("\"what\" : \"job failed\"").contains("CUDA out of memory");
    }

    @Test
    void aMissingDatabaseIsOneClearLine() {
        CliRun run = CliRun.of("audit", "verify", "--jdbc-url", "jdbc:sqlite:" + dir.resolve("nothing.db"));
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("no audit database at");
    }
}
