package dev.safelora.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Trust and client-key material for an HTTPS registry. A null truststore means the JVM's default
 * trust; a null keystore means no client certificate. Store types default to PKCS12.
 */
public record TlsSettings(
        Path truststore, String truststorePassword, String truststoreType,
        Path keystore, String keystorePassword, String keystoreType, String keyPassword) {

    public boolean isSystemDefault() {
        return truststore == null && keystore == null;
    }

    public SSLContext sslContext() {
        try {
            if (isSystemDefault()) {
                return SSLContext.getDefault();
            }
            TrustManagerFactory tmf = null;
            if (truststore != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(truststore, truststorePassword, truststoreType));
            }
            KeyManagerFactory kmf = null;
            if (keystore != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                String keyPass = keyPassword != null ? keyPassword : keystorePassword;
                kmf.init(load(keystore, keystorePassword, keystoreType), keyPass == null ? null : keyPass.toCharArray());
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS for the schema registry: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(Path path, String password, String type) throws GeneralSecurityException, IOException {
        if (!Files.isReadable(path)) {
            throw new IOException("store " + path + " does not exist or is not readable");
        }
        KeyStore store = KeyStore.getInstance(type == null || type.isBlank() ? "PKCS12" : type);
        try (InputStream in = Files.newInputStream(path)) {
            store.load(in, password == null ? null : password.toCharArray());
        }
        return store;
    }

    @Override
    public String toString() {
        return "TlsSettings[truststore=" + truststore + ", keystore=" + keystore + "]"; // no passwords
    }
}
