package dev.safelora.audit.report;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.safelora.audit.ledger.AuditDatabase;
import dev.safelora.audit.query.AuditQueries;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /audit/} on the stage's HTTP port, read-only (GET and HEAD): the family index, {@code /audit/family/<name>}
 * and {@code /audit/adapter/<id>}. Each request reads the ledger on its own connection.
 */
public final class AuditPages implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(AuditPages.class);
    public static final String PATH = "/audit/";

    private final AuditDatabase database;

    public AuditPages(AuditDatabase database) {
        this.database = database;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().add("Allow", "GET, HEAD");
                send(ex, 405, "text/plain", "the audit pages are read-only\n");
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            String rest = path.length() > PATH.length() ? path.substring(PATH.length()) : "";
            try (Connection c = database.connect()) {
                AuditQueries q = new AuditQueries(c);
                if (rest.isEmpty()) {
                    send(ex, 200, "text/html; charset=utf-8", index(q));
                } else if (rest.startsWith("family/")) {
                    send(ex, 200, "text/html; charset=utf-8", FamilyReport.render(q, decode(rest.substring("family/".length()))));
                } else if (rest.startsWith("adapter/")) {
                    send(ex, 200, "text/html; charset=utf-8", AdapterReport.render(q, decode(rest.substring("adapter/".length()))));
                } else {
                    send(ex, 404, "text/plain", "no such audit page\n");
                }
            } catch (IllegalArgumentException e) {
                send(ex, 404, "text/plain", e.getMessage() + "\n");
            } catch (Exception e) {
                LOG.warn("audit page {} failed: {}", path, e.toString());
                send(ex, 500, "text/plain", "cannot read the audit ledger\n");
            }
        }
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

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.getResponseHeaders().add("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
        ex.getResponseHeaders().add("X-Content-Type-Options", "nosniff");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
