package dev.safelora.artifacts.s3;

import dev.safelora.artifacts.RemoteStoreException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The SDK's exceptions in the project's terms: a missing object is a {@link NoSuchFileException} naming the URI
 * (what every {@link dev.safelora.artifacts.ArtifactStore} throws for a missing artifact); an error answer
 * ({@link AwsServiceException}) or no answer ({@link SdkClientException}) after the SDK's retries is a
 * {@link RemoteStoreException} saying how many attempts were made and whether a later try may succeed.
 */
final class S3Errors {

    private S3Errors() {}

    static IOException map(Throwable thrown, String operation, URI uri) {
        Throwable t = thrown;
        while ((t instanceof CompletionException || t instanceof ExecutionException || t instanceof UncheckedIOException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof IOException io) {
            return io;
        }
        if (t instanceof AwsServiceException e) {
            int status = e.statusCode();
            String code = e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null ? "" : e.awsErrorDetails().errorCode();
            if (status == 404 && !code.equals("NoSuchBucket") && !code.equals("NoSuchUpload")) {
                NoSuchFileException missing = new NoSuchFileException(uri.toString(), null, "no such object");
                missing.initCause(e);
                return missing;
            }
            String detail = e.awsErrorDetails() == null || e.awsErrorDetails().errorMessage() == null ? "" : ": " + e.awsErrorDetails().errorMessage();
            int attempts = attempts(e);
            return new RemoteStoreException(operation + " " + uri + " failed: HTTP " + status + (code.isEmpty() ? "" : " " + code)
                    + detail + " (" + attempts + (attempts == 1 ? " attempt)" : " attempts)"),
                    status, code, attempts, status == 429 || status >= 500, e);
        }
        if (t instanceof SdkClientException e) {
            int attempts = attempts(e);
            return new RemoteStoreException(operation + " " + uri + " failed without an answer: " + e.getMessage()
                    + " (" + attempts + (attempts == 1 ? " attempt)" : " attempts)"), 0, "", attempts, noAnswer(e), e);
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return new IOException(operation + " " + uri + " failed: " + t, t);
    }

    /**
     * Network failures and timeouts may pass (connection refused, reset, a connection-pool acquire timeout under
     * load); a missing credential or a bad request will not.
     */
    private static boolean noAnswer(SdkClientException e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof IOException || c instanceof ApiCallTimeoutException || c instanceof ApiCallAttemptTimeoutException
                    || c instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static int attempts(SdkException e) {
        Integer n = e.numAttempts();
        return n == null || n < 1 ? 1 : n;
    }
}
