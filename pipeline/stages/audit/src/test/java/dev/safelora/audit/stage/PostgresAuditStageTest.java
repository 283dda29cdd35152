package dev.safelora.audit.stage;

import dev.safelora.audit.TestDatabases;
import dev.safelora.audit.ledger.AuditDatabase;

/** The audit stage on a real PostgreSQL server. */
class PostgresAuditStageTest extends AuditStageContract {
    @Override
    protected AuditDatabase newDatabase() {
        return TestDatabases.postgres();
    }
}
