package dev.safelora.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextTokenizerTest {

    // Shared by the JUnit tests and the jqwik property (whose engine ignores JUnit's @BeforeAll).
    static final Path DIR = tempDir();
    static final int vocab = TinyTokenizerBuilder.write(DIR, 64);
    static final TextTokenizer tokenizer = TextTokenizer.load(DIR);

    static Path tempDir() {
        try {
            Path dir = java.nio.file.Files.createTempDirectory("tiny-tokenizer");
            dir.toFile().deleteOnExit();
            dir.resolve("tokenizer.json").toFile().deleteOnExit();
            dir.resolve("tokenizer_config.json").toFile().deleteOnExit();
            return dir;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void vocabularyIsSpecialsBytesAndMerges() {
        assertThat(vocab).isBetween(300, 324);
        // Printable ASCII bytes are their own symbols, at id 4 + byte.
        assertThat(tokenizer.encode("!", false)).containsExactly(4 + '!');
    }

    @Test
    void encodingStartsWithBosAndMergesFrequentPairs() {
        long[] ids = tokenizer.encode("The capital of France", true);
        assertThat(ids[0]).isEqualTo(TinyTokenizerBuilder.BOS);
        // Far fewer tokens than bytes: the merges learned from the corpus apply.
        assertThat(ids.length - 1).isLessThan("The capital of France".length() / 2);
        assertThat(tokenizer.encode("The capital of France", false)).containsExactly(java.util.Arrays.copyOfRange(ids, 1, ids.length));
    }

    @Property(tries = 60)
    void anyTextRoundTrips(@ForAll @StringLength(max = 40) String text) {
        assertThat(tokenizer.decode(tokenizer.encode(text, true))).isEqualTo(text);
    }

    @Test
    void longTextsAreNeverTruncated() {
        // DJL truncates to 512 tokens unless told not to.
        String text = "zq xj vk ".repeat(400);
        long[] ids = tokenizer.encode(text, true);
        assertThat(ids.length).isGreaterThan(1000);
        assertThat(tokenizer.decode(ids)).isEqualTo(text);
    }

    @Test
    void specialTokensDecodeOnlyWhenAsked() {
        long[] ids = {TinyTokenizerBuilder.BOS, 4 + 'h', 4 + 'i', TinyTokenizerBuilder.EOS};
        assertThat(tokenizer.decode(ids)).isEqualTo("hi");
        assertThat(tokenizer.decodeWithSpecialTokens(ids)).isEqualTo("<s>hi</s>");
    }

    @Test
    void missingTokenizerIsAClearError(@TempDir Path empty) {
        assertThatThrownBy(() -> TextTokenizer.load(empty)).hasMessageContaining("no tokenizer.json");
    }
}
