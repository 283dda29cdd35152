package dev.safelora.audit.ledger;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the audit stage says when its database is not one: one line, the driver's reason, not Flyway's report block. */
class AuditDatabaseErrorsTest {

    @TempDir
    Path dir;

    @Test
    void migratingAFileThatIsNoDatabaseSaysSoInOneLineWithoutItsContents() throws Exception {
        Path text = Files.writeString(dir.resolve("notes.db"), "root:x:0:0:root:/root:/bin/bash\n".repeat(64));
        assertThatThrownBy(() -> AuditDatabase.of("jdbc:sqlite:" + text).migrate())
                .hasMessage("cannot migrate the audit database jdbc:sqlite:" + text + ": file is not a database");
    }
}
