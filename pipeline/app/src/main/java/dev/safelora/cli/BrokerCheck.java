package dev.safelora.cli;

import dev.safelora.kafka.ClientSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Asks the cluster for its id before a command talks to it. The Kafka clients retry an unreachable broker until
 * their own timeouts and then name a symptom ("Topic ... not present in metadata", "Timed out waiting for a node
 * assignment"); this names the cause, in one line, within a bound the user sets.
 */
final class BrokerCheck {

    private BrokerCheck() {}

    /** Returns when a broker at {@code settings}' bootstrap servers answered within {@code timeout}, throws otherwise. */
    static void requireReachable(ClientSettings settings, Duration timeout) {
        QuietKafkaLogs.apply();
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        Map<String, Object> props = settings.adminProperties();
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "safelora-broker-check");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        props.put(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, millis);
        props.put(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, Math.min(millis, 10_000));
        String where = "the Kafka broker at " + settings.bootstrapServers();
        Admin admin;
        try {
            admin = Admin.create(props);
        } catch (KafkaException e) {
            // an unresolvable host in every bootstrap address, or a client setting the client refuses
            throw new IllegalStateException(where + " could not be reached: " + OneLineErrors.describe(rootCause(e)), e);
        }
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(millis)).clusterId()
                    .get(millis + 2_000L, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof TimeoutException) {
                throw unreachable(where, timeout, e);
            }
            if (cause instanceof org.apache.kafka.common.errors.AuthenticationException) {
                // SASL credentials or the TLS handshake: the broker answered and refused
                throw new IllegalStateException(where + " refused the connection: " + OneLineErrors.describe(cause), cause);
            }
            // anything else (an authorisation rule, an old broker) came from a broker that answered: let the command
            // go on and meet the real answer to what it asks
            return;
        } catch (java.util.concurrent.TimeoutException e) {
            throw unreachable(where, timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(where + ": interrupted while connecting", e);
        } finally {
            admin.close(Duration.ZERO);
        }
    }

    private static IllegalStateException unreachable(String where, Duration timeout, Exception e) {
        return new IllegalStateException(where + " could not be reached within " + seconds(timeout)
                + " (is the cluster running? set --bootstrap-servers or SAFELORA_BOOTSTRAP_SERVERS; --connect-timeout waits longer)", e);
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }
}
