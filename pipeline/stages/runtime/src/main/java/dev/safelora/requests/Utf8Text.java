package dev.safelora.requests;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

/**
 * Strict UTF-8 decoding of a request file: JSON is UTF-8 (RFC 8259), and a Latin-1 or UTF-16 file
 * should be reported at its first bad byte rather than mis-parsed. A leading byte-order mark is
 * dropped.
 */
final class Utf8Text {

    private Utf8Text() {}

    static String decode(byte[] bytes, String errorPrefix) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int bad = in.position();
            out.flip();
            String before = out.toString();
            int line = 1 + (int) before.chars().filter(c -> c == '\n').count();
            int column = before.length() - before.lastIndexOf('\n');
            String reason = "not UTF-8 text (invalid byte 0x" + HexFormat.of().toHexDigits(bytes[bad]) + ")";
            throw new InvalidRequestException(errorPrefix + " at line " + line + ", column " + column + ": " + reason, List.of(reason));
        }
        out.flip();
        String text = out.toString();
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }
}
