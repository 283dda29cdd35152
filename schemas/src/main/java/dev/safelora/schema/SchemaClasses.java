package dev.safelora.schema;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to load any class named in a schema unless it is trusted
 * ({@link ClassSecurityValidator}); reading into the generated classes of this package therefore
 * fails with "Forbidden dev.safelora.schema.X! This class is not trusted" until {@link #trust()}
 * has run. Every reader of specific records (serde, CLI, tests) calls it once; it is idempotent
 * and adds exactly this package to whatever the process already trusts.
 */
public final class SchemaClasses {

    public static final String PACKAGE = "dev.safelora.schema";

    private static volatile boolean trusted;

    private SchemaClasses() {}

    /** Trusts the generated classes of {@value #PACKAGE} (and nothing else) for Avro's class loading. */
    public static synchronized void trust() {
        if (trusted) {
            return;
        }
        ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                previous, type -> PACKAGE.equals(type.getPackageName())));
        trusted = true;
    }
}
