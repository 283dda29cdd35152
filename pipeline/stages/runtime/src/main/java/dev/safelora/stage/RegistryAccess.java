package dev.safelora.stage;

import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.registry.RegistryClientConfig;
import dev.safelora.registry.RegistryException;
import dev.safelora.registry.RegistryUnreachableException;

/**
 * A stage's check, when it starts, that the schema registry accepts its credentials: a 401 or 403 is a
 * configuration error that no retry fixes, so the stage fails at once with a line saying what to change instead
 * of retrying (or dead-lettering) every record. A registry that cannot be reached yet is not an error here: the
 * loops wait for it as for any transient failure.
 */
public final class RegistryAccess {

    private RegistryAccess() {}

    public static void check(RegistryClientConfig registry) {
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(registry.withRetries(1, registry.initialBackoff(), registry.maxBackoff()));
        try {
            client.subjects();
        } catch (RegistryUnreachableException e) {
            // not up yet: the loops retry
        } catch (RegistryException e) {
            if (e.httpStatus() == 401 || e.httpStatus() == 403) {
                throw new IllegalStateException("the schema registry at " + client.url() + " refuses this stage's credentials (HTTP "
                        + e.httpStatus() + "): check basic.auth.user.info / SAFELORA_REGISTRY_USER_INFO and the registry's ACLs");
            }
        } finally {
            client.close();
        }
    }
}
