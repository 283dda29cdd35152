package dev.safelora.adapter;

import java.util.regex.Pattern;

/**
 * Matches PEFT's per-module patterns ({@code rank_pattern}, {@code alpha_pattern}) with java.util.regex, the
 * same backtracking semantics as Python's {@code re}, but with a step budget: the module name is read through a
 * {@link CharSequence} that counts reads and gives up past {@link #MAX_READS}. A pattern with catastrophic
 * backtracking ({@code (.*.){16}z}) then fails in milliseconds with a clear error instead of running for hours
 * over every module of a model. A linear-time engine (RE2/J) would also end it, but its syntax differs from
 * Python's in places PEFT configs use (lookarounds, backreferences), and the core module depends on Jackson and
 * slf4j only; a budget keeps the exact semantics.
 */
final class BoundedMatch {

    /** Character reads per match: a plausible pattern on a module name needs a few thousand. */
    static final long MAX_READS = 2_000_000;

    private BoundedMatch() {}

    /** Whether {@code pattern} matches all of {@code text}; an IllegalArgumentException naming both when the budget runs out. */
    static boolean matches(Pattern pattern, String text, String what) {
        try {
            return pattern.matcher(new Counted(text)).matches();
        } catch (BudgetExceeded e) {
            throw new IllegalArgumentException(what + " takes too long to match module \"" + text + "\" (over " + MAX_READS
                    + " steps: catastrophic backtracking); write it without nested repetition such as (.*.){n}");
        } catch (StackOverflowError e) {
            throw new IllegalArgumentException(what + " recurses too deeply matching module \"" + text + "\"; simplify it");
        }
    }

    private static final class BudgetExceeded extends RuntimeException {
        BudgetExceeded() {
            super(null, null, false, false);
        }
    }

    private static final class Counted implements CharSequence {
        private final String text;
        private long reads;

        Counted(String text) {
            this.text = text;
        }

        @Override
        public char charAt(int index) {
            if (++reads > MAX_READS) {
                throw new BudgetExceeded();
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
