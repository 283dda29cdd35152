package dev.safelora.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.safelora.files.Digests;
import org.junit.jupiter.api.Test;

/**
 * Against the example values AWS publishes for SigV4 (S3 "Examples: Signature calculations" for header
 * based authentication, and the general "derive a signing key" example).
 */
class SigV4SignerTest {

    private static final AwsCredentials S3_EXAMPLE =
            new AwsCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", null);
    private static final Instant MAY_24_2013 = Instant.parse("2013-05-24T00:00:00Z");
    private final SigV4Signer s3 = new SigV4Signer("us-east-1", "s3");

    @Test
    void getObjectExampleMatchesCanonicalRequestStringToSignAndSignature() {
        URI uri = URI.create("https://examplebucket.s3.amazonaws.com/test.txt");
        Map<String, String> headers = Map.of("host", "examplebucket.s3.amazonaws.com", "range", "bytes=0-9",
                "x-amz-content-sha256", SigV4Signer.EMPTY_SHA256, "x-amz-date", "20130524T000000Z");
        String canonical = SigV4Signer.canonicalRequest("GET", uri, headers, SigV4Signer.EMPTY_SHA256);
        assertThat(canonical).isEqualTo("""
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855""");
        assertThat(Digests.sha256Hex(canonical)).isEqualTo("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");

        Map<String, String> signed = s3.sign("GET", uri, Map.of("Range", "bytes=0-9"), SigV4Signer.EMPTY_SHA256, MAY_24_2013, S3_EXAMPLE);
        assertThat(signed.get("Authorization")).isEqualTo("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
        assertThat(signed).containsEntry("x-amz-date", "20130524T000000Z")
                .containsEntry("x-amz-content-sha256", SigV4Signer.EMPTY_SHA256)
                .doesNotContainKey("x-amz-security-token");
    }

    @Test
    void putObjectExampleWithEncodedKeyAndExtraHeaders() {
        String body = "Welcome to Amazon S3.";
        String payload = Digests.sha256Hex(body);
        assertThat(payload).isEqualTo("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
        URI uri = URI.create("https://examplebucket.s3.amazonaws.com/" + SigV4Signer.uriEncode("test$file.text", true));
        assertThat(uri.getRawPath()).isEqualTo("/test%24file.text");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Date", "Fri, 24 May 2013 00:00:00 GMT");
        headers.put("x-amz-storage-class", "REDUCED_REDUNDANCY");
        Map<String, String> signed = s3.sign("PUT", uri, headers, payload, MAY_24_2013, S3_EXAMPLE);
        assertThat(signed.get("Authorization")).endsWith(
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
                        + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    }

    @Test
    void getBucketLifecycleExampleWithBareQueryParameter() {
        URI uri = URI.create("https://examplebucket.s3.amazonaws.com/?lifecycle");
        Map<String, String> signed = s3.sign("GET", uri, Map.of(), SigV4Signer.EMPTY_SHA256, MAY_24_2013, S3_EXAMPLE);
        assertThat(signed.get("Authorization")).endsWith(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
                        + "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    }

    @Test
    void listObjectsExampleSortsQueryParameters() {
        URI uri = URI.create("https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2");
        Map<String, String> signed = s3.sign("GET", uri, Map.of(), SigV4Signer.EMPTY_SHA256, MAY_24_2013, S3_EXAMPLE);
        assertThat(signed.get("Authorization")).endsWith(
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    }

    @Test
    void signingKeyMatchesTheDeriveASigningKeyExample() {
        byte[] key = SigV4Signer.signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
        assertThat(Digests.hex(key)).isEqualTo("c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    }

    @Test
    void sessionTokenIsSentAndSigned() {
        AwsCredentials temporary = new AwsCredentials("AKIAIOSFODNN7EXAMPLE", "secret", "token-123");
        Map<String, String> signed = s3.sign("GET", URI.create("http://127.0.0.1:9000/b/k"), Map.of(),
                SigV4Signer.EMPTY_SHA256, MAY_24_2013, temporary);
        assertThat(signed).containsEntry("x-amz-security-token", "token-123");
        assertThat(signed.get("Authorization")).contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,");
    }

    @Test
    void hostHeaderKeepsOnlyNonDefaultPorts() {
        assertThat(SigV4Signer.hostHeader(URI.create("http://127.0.0.1:9000/b"))).isEqualTo("127.0.0.1:9000");
        assertThat(SigV4Signer.hostHeader(URI.create("https://s3.amazonaws.com:443/b"))).isEqualTo("s3.amazonaws.com");
        assertThat(SigV4Signer.hostHeader(URI.create("https://s3.amazonaws.com/b"))).isEqualTo("s3.amazonaws.com");
    }

    @Test
    void uriEncodeKeepsUnreservedAndOptionallySlashes() {
        assertThat(SigV4Signer.uriEncode("a b/c~d_e.f-g+h=é", true)).isEqualTo("a%20b/c~d_e.f-g%2Bh%3D%C3%A9");
        assertThat(SigV4Signer.uriEncode("a/b", false)).isEqualTo("a%2Fb");
    }
}
