package dev.safelora.audit.ledger;

import dev.safelora.audit.TestDatabases;

/** The ledger contract on a real PostgreSQL server. */
class PostgresLedgerTest extends LedgerContract {
    @Override
    protected AuditDatabase newDatabase() {
        return TestDatabases.postgres();
    }
}
