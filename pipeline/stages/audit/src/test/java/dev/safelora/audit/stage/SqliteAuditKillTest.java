package dev.safelora.audit.stage;

import dev.safelora.audit.TestDatabases;
import dev.safelora.audit.ledger.AuditDatabase;

/** kill -9 of the audit stage on SQLite. */
class SqliteAuditKillTest extends AuditKillContract {
    @Override
    protected AuditDatabase newDatabase() {
        return TestDatabases.sqlite();
    }
}
