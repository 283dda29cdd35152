package dev.safelora.schema;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.avro.util.ClassSecurityValidator;
import org.junit.jupiter.api.Test;

class SchemaClassesTest {

    @Test
    void trustsExactlyTheGeneratedPackageAndIsIdempotent() {
        SchemaClasses.trust();
        ClassSecurityValidator.ClassSecurityPredicate once = ClassSecurityValidator.getGlobal();
        SchemaClasses.trust();

        assertThat(ClassSecurityValidator.getGlobal()).isSameAs(once);
        assertThat(once.isTrusted(TrainingRequest.class)).isTrue();
        assertThat(once.isTrusted(SelectionMode.class)).isTrue();
        assertThat(once.isTrusted(String.class)).isTrue();
        assertThat(once.isTrusted(java.io.File.class)).isFalse();
        assertThat(once.isTrusted(java.lang.ProcessBuilder.class)).isFalse();
    }
}
