package dev.safelora.artifacts.s3;

import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A real S3 protocol server in this JVM: S3Proxy over jclouds' in-memory ("transient") blob store, checking
 * SigV4 signatures, with a {@link FaultInjectingProxy} in front that records every request and answers
 * chosen ones with an error instead of forwarding them. The blob store is open to the test, to plant what a
 * hostile or broken store would hold.
 */
final class S3ProxyFixture implements AutoCloseable {

    static final String ACCESS_KEY = "AKIDSAFELORATEST";
    static final String SECRET_KEY = "s3cr3t/key+";
    static final String BUCKET = "bkt";

    final BlobStore blobs;
    final FaultInjectingProxy faults;
    private final S3Proxy s3Proxy;
    private final BlobStoreContext context;

    S3ProxyFixture() throws Exception {
        Properties props = new Properties();
        context = ContextBuilder.newBuilder("transient").credentials("local", "local").overrides(props).build(BlobStoreContext.class);
        blobs = context.getBlobStore();
        s3Proxy = S3Proxy.builder()
                .blobStore(blobs)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                // S3Proxy answers 501 to headers it does not implement; x-amz-checksum-mode (ask for S3's checksums on
                // HEAD/GET) is one, and S3 and MinIO honour it. Ignored here, the store falls back to its own digests.
                .ignoreUnknownHeaders(true)
                .build();
        s3Proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(s3Proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + s3Proxy.getState());
            }
            Thread.onSpinWait();
        }
        blobs.createContainerInLocation(null, BUCKET);
        faults = new FaultInjectingProxy(s3Proxy.getPort());
    }

    /** The endpoint the store talks to: the fault injector in front of S3Proxy. */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + faults.port());
    }

    /** Settings for this server: path style, its credentials, 3 attempts with a short backoff, 5 MiB parts. */
    S3Settings settings() {
        return S3Settings.compatible(endpoint(), StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .withRetries(3, java.time.Duration.ofMillis(10))
                .withPartSize(S3Settings.MIN_PART_SIZE);
    }

    /** Empties the bucket, clears the faults and the request log. */
    void reset() {
        blobs.clearContainer(BUCKET);
        faults.clearFaults();
        faults.requests.clear();
        faults.injected.set(0);
    }

    @Override
    public void close() throws Exception {
        faults.close();
        s3Proxy.stop();
        context.close();
    }
}
