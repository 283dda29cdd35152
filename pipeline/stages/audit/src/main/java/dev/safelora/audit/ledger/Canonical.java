package dev.safelora.audit.ledger;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The hash chain: {@code hash = sha256(previous hash || canonical bytes of the event)}, the previous hash
 * of a partition's first event being 32 zero bytes. The canonical bytes are every stored column of the
 * event row except the hashes themselves, each as a 4-byte big-endian length (-1 for null) followed by its
 * UTF-8 bytes, in a fixed order; numbers are written in decimal. The typed fact rows are not hashed: they
 * are derived from {@code event_json}, which is, and {@link ChainVerifier} re-derives and compares them.
 */
public final class Canonical {

    /** The previous hash of a chain's first event: 32 zero bytes, hex. */
    public static final String GENESIS = "0".repeat(64);

    private Canonical() {}

    public static byte[] bytes(String topic, int partition, long offset, long chainSeq, String kind, String eventId,
                               String recordKey, long recordTimestamp, Integer schemaId, String payloadSha256,
                               String headersJson, String eventJson, long consumedAt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + (eventJson == null ? 0 : eventJson.length()));
        field(out, "safelora.audit.v1");
        field(out, topic);
        field(out, Integer.toString(partition));
        field(out, Long.toString(offset));
        field(out, Long.toString(chainSeq));
        field(out, kind);
        field(out, eventId);
        field(out, recordKey);
        field(out, Long.toString(recordTimestamp));
        field(out, schemaId == null ? null : Integer.toString(schemaId));
        field(out, payloadSha256);
        field(out, headersJson);
        field(out, eventJson);
        field(out, Long.toString(consumedAt));
        return out.toByteArray();
    }

    /** The hex hash of an event chained after {@code previousHash} (hex). */
    public static String chain(String previousHash, byte[] canonical) {
        MessageDigest sha = sha256();
        sha.update(HexFormat.of().parseHex(previousHash));
        sha.update(canonical);
        return HexFormat.of().formatHex(sha.digest());
    }

    public static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    private static void field(ByteArrayOutputStream out, String value) {
        if (value == null) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(-1).array());
            return;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
        out.writeBytes(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
