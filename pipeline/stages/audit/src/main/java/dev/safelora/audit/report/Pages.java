package dev.safelora.audit.report;

/** The shared page frame: inline CSS only, no scripts, no network. */
final class Pages {

    private Pages() {}

    static final String CSS = """
            body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
            h1{font-size:1.5em;margin-bottom:4px} h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
            .sub{color:#666;margin-top:0} table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:.9em}
            th{background:#f5f5f5} td.num{text-align:right;font-variant-numeric:tabular-nums} code{font-size:.85em}
            svg.chart{display:block;margin:8px 0;max-width:100%;height:auto} .grid{stroke:#eee} .axis{stroke:#444}
            .title{font-size:14px;font-weight:600} .tick{font-size:11px;fill:#444} .label{font-size:12px;fill:#222}
            .value{font-size:10px;fill:#333} .legend{font-size:11px} .threshold{font-size:11px;fill:#e7298a}
            .better{color:#1b7e5a} .worse{color:#b03a2e} .note{color:#666;font-size:.9em}
            """;

    static String page(String title, String body) {
        return "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>" + Charts.esc(title) + "</title>"
                + "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                + "<style>" + CSS + "</style></head><body>" + body
                + "<p class='note'>Generated from the safelora audit ledger. Self-contained: no scripts, no network.</p></body></html>\n";
    }

    static String row(String... cells) {
        StringBuilder b = new StringBuilder("<tr>");
        for (String c : cells) {
            b.append("<td>").append(Charts.esc(c == null ? "-" : c)).append("</td>");
        }
        return b.append("</tr>").toString();
    }
}
