package dev.safelora.serde;

import java.util.Map;
import java.util.Objects;

import dev.safelora.registry.RegistryClientConfig;

/**
 * Configuration of the Confluent-wire-format Avro serde, from Kafka-style properties:
 * {@code schema.registry.url}, {@code basic.auth.user.info}, {@code schema.registry.ssl.*}
 * (see {@link RegistryClientConfig#fromProperties}), {@value #AUTO_REGISTER} (default true),
 * {@value #SPECIFIC_READER} (default true) and optionally {@value #SPECIFIC_VALUE_TYPE} /
 * {@value #SPECIFIC_KEY_TYPE} naming the generated class to read into.
 *
 * @param registry          how to reach the registry
 * @param autoRegister      the serializer registers schemas it has not seen; when false it only looks them up
 * @param specificReader    the deserializer returns generated classes (else {@code GenericRecord})
 * @param specificValueType reader class for values, or null to pick the class named by the writer schema
 * @param specificKeyType   reader class for keys, or null likewise
 */
public record AvroSerdeConfig(
        RegistryClientConfig registry, boolean autoRegister, boolean specificReader,
        String specificValueType, String specificKeyType) {

    public static final String AUTO_REGISTER = "auto.register.schemas";
    public static final String SPECIFIC_READER = "specific.avro.reader";
    public static final String SPECIFIC_VALUE_TYPE = "specific.avro.value.type";
    public static final String SPECIFIC_KEY_TYPE = "specific.avro.key.type";

    public AvroSerdeConfig {
        Objects.requireNonNull(registry, "registry");
    }

    public static AvroSerdeConfig of(String registryUrl) {
        return new AvroSerdeConfig(RegistryClientConfig.of(registryUrl), true, true, null, null);
    }

    public static AvroSerdeConfig fromProperties(Map<String, ?> props) {
        return new AvroSerdeConfig(RegistryClientConfig.fromProperties(props),
                bool(props, AUTO_REGISTER, true), bool(props, SPECIFIC_READER, true),
                str(props.get(SPECIFIC_VALUE_TYPE)), str(props.get(SPECIFIC_KEY_TYPE)));
    }

    /** Kafka-style properties that {@link #fromProperties} reads back into an equal config (for clients built by class name). */
    public Map<String, Object> toProperties() {
        Map<String, Object> props = new java.util.HashMap<>();
        props.put(RegistryClientConfig.URL, registry.url());
        if (registry.userInfo() != null) {
            props.put(RegistryClientConfig.USER_INFO, registry.userInfo());
        }
        if (registry.tls() != null) {
            putIfSet(props, RegistryClientConfig.SSL_TRUSTSTORE_LOCATION, registry.tls().truststore());
            putIfSet(props, RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD, registry.tls().truststorePassword());
            putIfSet(props, RegistryClientConfig.SSL_TRUSTSTORE_TYPE, registry.tls().truststoreType());
            putIfSet(props, RegistryClientConfig.SSL_KEYSTORE_LOCATION, registry.tls().keystore());
            putIfSet(props, RegistryClientConfig.SSL_KEYSTORE_PASSWORD, registry.tls().keystorePassword());
            putIfSet(props, RegistryClientConfig.SSL_KEYSTORE_TYPE, registry.tls().keystoreType());
            putIfSet(props, RegistryClientConfig.SSL_KEY_PASSWORD, registry.tls().keyPassword());
        }
        props.put(RegistryClientConfig.CONNECT_TIMEOUT_MS, Long.toString(registry.connectTimeout().toMillis()));
        props.put(RegistryClientConfig.REQUEST_TIMEOUT_MS, Long.toString(registry.requestTimeout().toMillis()));
        props.put(RegistryClientConfig.MAX_ATTEMPTS, Integer.toString(registry.maxAttempts()));
        props.put(RegistryClientConfig.RETRY_BACKOFF_MS, Long.toString(registry.initialBackoff().toMillis()));
        props.put(RegistryClientConfig.RETRY_BACKOFF_MAX_MS, Long.toString(registry.maxBackoff().toMillis()));
        props.put(AUTO_REGISTER, Boolean.toString(autoRegister));
        props.put(SPECIFIC_READER, Boolean.toString(specificReader));
        putIfSet(props, SPECIFIC_VALUE_TYPE, specificValueType);
        putIfSet(props, SPECIFIC_KEY_TYPE, specificKeyType);
        return props;
    }

    private static void putIfSet(Map<String, Object> props, String key, Object value) {
        if (value != null) {
            props.put(key, value.toString());
        }
    }

    private static String str(Object value) {
        return value == null || value.toString().isBlank() ? null : value.toString().strip();
    }

    private static boolean bool(Map<String, ?> props, String key, boolean fallback) {
        Object value = props.get(key);
        if (value == null) {
            return fallback;
        }
        String text = value.toString().strip().toLowerCase(java.util.Locale.ROOT);
        if (!text.equals("true") && !text.equals("false")) {
            throw new IllegalArgumentException("'" + key + "' must be true or false, got '" + value + "'");
        }
        return Boolean.parseBoolean(text);
    }
}
