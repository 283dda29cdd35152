package dev.safelora.evaluation;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pulls the final numeric answer out of a text the GSM8K way: the number after {@code ####}, or
 * else the last number in the text. Numbers are normalised so that "1,234", "1234.00", "+1234"
 * and "$1234." compare equal: thousands separators and a leading plus sign are dropped, trailing
 * fractional zeros removed, and "-0" is "0".
 */
public final class AnswerExtractor {

    // A sign, digits with optional comma groups, optional fraction; or a bare fraction (".5").
    private static final Pattern NUMBER = Pattern.compile("[-+]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|[-+]?\\.\\d+");
    private static final String MARKER = "####";

    private AnswerExtractor() {
    }

    /** The normalised answer, or empty when the text holds no number. */
    public static Optional<String> extract(String text) {
        int marker = text.lastIndexOf(MARKER);
        if (marker >= 0) {
            Matcher m = NUMBER.matcher(text.substring(marker + MARKER.length()));
            if (m.find()) {
                return Optional.of(normalise(m.group()));
            }
        }
        Matcher m = NUMBER.matcher(text);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        return Optional.ofNullable(last).map(AnswerExtractor::normalise);
    }

    /** Canonical form of one number as matched: "-1,234.50" becomes "-1234.5". */
    public static String normalise(String number) {
        String plain = number.replace(",", "");
        if (plain.startsWith("+")) {
            plain = plain.substring(1);
        }
        BigDecimal value = new BigDecimal(plain);
        if (value.signum() == 0) {
            return "0";
        }
        return value.stripTrailingZeros().toPlainString();
    }

    /** Whether a model output's answer equals the reference's answer (both extracted and normalised). */
    public static boolean matches(String output, String reference) {
        Optional<String> expected = extract(reference);
        return expected.isPresent() && expected.equals(extract(output));
    }
}
