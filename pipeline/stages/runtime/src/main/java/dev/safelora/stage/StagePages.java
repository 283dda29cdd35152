package dev.safelora.stage;

import com.sun.net.httpserver.HttpHandler;
import java.util.Map;

/** A stage loop that also serves pages (read-only) on the process's HTTP port, beside /metrics and /health. */
public interface StagePages {

    /** Context path (e.g. {@code /audit/}) to handler. */
    Map<String, HttpHandler> pages();
}
