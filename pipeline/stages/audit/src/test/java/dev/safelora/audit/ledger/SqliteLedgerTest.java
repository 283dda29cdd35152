package dev.safelora.audit.ledger;

import dev.safelora.audit.TestDatabases;

/** The ledger contract on SQLite (the embedded default). */
class SqliteLedgerTest extends LedgerContract {
    @Override
    protected AuditDatabase newDatabase() {
        return TestDatabases.sqlite();
    }
}
