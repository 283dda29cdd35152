package dev.safelora.audit.report;

import dev.safelora.audit.ledger.AuditDatabase;
import dev.safelora.audit.query.AuditQueries;
import dev.safelora.stage.StagePages;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /audit/} on the stage's HTTP port, read-only (GET): the family index, {@code /audit/family/<name>}
 * and {@code /audit/adapter/<id>}. Each request reads the ledger on its own connection.
 */
public final class AuditPages implements StagePages.Page {

    private static final Logger LOG = LoggerFactory.getLogger(AuditPages.class);
    public static final String PATH = "/audit/";

    private final AuditDatabase database;

    public AuditPages(AuditDatabase database) {
        this.database = database;
    }

    @Override
    public StagePages.Response get(String path) {
        String rest = path.length() > PATH.length() ? path.substring(PATH.length()) : "";
        try (Connection c = database.connect()) {
            AuditQueries q = new AuditQueries(c);
            if (rest.isEmpty()) {
                return html(index(q));
            } else if (rest.startsWith("family/")) {
                return html(FamilyReport.render(q, decode(rest.substring("family/".length()))));
            } else if (rest.startsWith("adapter/")) {
                return html(AdapterReport.render(q, decode(rest.substring("adapter/".length()))));
            }
            return StagePages.Response.text(404, "text/plain", "no such audit page\n");
        } catch (IllegalArgumentException e) {
            return StagePages.Response.text(404, "text/plain", e.getMessage() + "\n");
        } catch (Exception e) {
            LOG.warn("audit page {} failed: {}", path, e.toString());
            return StagePages.Response.text(500, "text/plain", "cannot read the audit ledger\n");
        }
    }

    private static StagePages.Response html(String body) {
        return StagePages.Response.text(200, "text/html; charset=utf-8", body);
    }

    private static String index(AuditQueries q) throws Exception {
        StringBuilder b = new StringBuilder("<h1>Audit ledger</h1><h2>Families</h2><table id='families'><tr><th>family</th><th>adapters</th></tr>");
        for (String f : q.families()) {
            b.append("<tr><td><a href='family/").append(Charts.esc(AdapterReport.urlPart(f))).append("'>").append(Charts.esc(f))
                    .append("</a></td><td class='num'>").append(q.adapterList(f, Instant.ofEpochMilli(Long.MIN_VALUE)).size()).append("</td></tr>");
        }
        return Pages.page("Audit ledger", b.append("</table>").toString());
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
