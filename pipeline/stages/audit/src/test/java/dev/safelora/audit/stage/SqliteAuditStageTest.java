package dev.safelora.audit.stage;

import dev.safelora.audit.TestDatabases;
import dev.safelora.audit.ledger.AuditDatabase;

/** The audit stage on SQLite (the embedded default). */
class SqliteAuditStageTest extends AuditStageContract {
    @Override
    protected AuditDatabase newDatabase() {
        return TestDatabases.sqlite();
    }
}
