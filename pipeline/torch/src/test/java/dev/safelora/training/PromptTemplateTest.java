package dev.safelora.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PromptTemplateTest {

    /** One id per character (its code point), so expected ids can be written by hand. */
    private static final TextEncoder CHARS = text -> text.codePoints().toArray();
    private static final SpecialTokens SPECIAL = new SpecialTokens(1, 2);
    private static final int X = TokenizedExample.IGNORE;

    @Test
    void rawIsBosPromptResponseEosWithLossOnResponseAndEosOnly() {
        TokenizedExample t = PromptTemplate.RAW.tokenize(TrainingExample.of("ab", "cd"), CHARS, SPECIAL);
        assertThat(t.inputIds()).containsExactly(1, 'a', 'b', 'c', 'd', 2);
        assertThat(t.labels()).containsExactly(X, X, X, 'c', 'd', 2);
        assertThat(t.trainedTokens()).isEqualTo(3);
        assertThat(PromptTemplate.RAW.promptIds(TrainingExample.of("ab", "cd"), CHARS, SPECIAL)).containsExactly(1, 'a', 'b');
    }

    @Test
    void withoutABosTokenNoneIsPlaced() {
        TokenizedExample t = PromptTemplate.RAW.tokenize(TrainingExample.of("a", "b"), CHARS, new SpecialTokens(-1, 9));
        assertThat(t.inputIds()).containsExactly('a', 'b', 9);
        assertThat(t.labels()).containsExactly(X, 'b', 9);
    }

    @Test
    void rawPutsChatTurnsBackToBackAsContext() {
        TrainingExample chat = new TrainingExample("s", List.of(new TrainingExample.Exchange("u", "v")), "p", "r");
        TokenizedExample t = PromptTemplate.RAW.tokenize(chat, CHARS, SPECIAL);
        assertThat(t.inputIds()).containsExactly(1, 's', 'u', 'v', 'p', 'r', 2);
        assertThat(t.labels()).containsExactly(X, X, X, X, X, 'r', 2);
    }

    @Test
    void plainUsesInstructionAndResponseSections() {
        TokenizedExample t = PromptTemplate.PLAIN.tokenize(TrainingExample.of("Q", "A"), CHARS, SPECIAL);
        String context = "### Instruction:\nQ\n\n### Response:\n";
        int[] expected = new int[context.length() + 3];
        expected[0] = 1;
        for (int i = 0; i < context.length(); i++) {
            expected[i + 1] = context.charAt(i);
        }
        expected[context.length() + 1] = 'A';
        expected[context.length() + 2] = 2;
        assertThat(t.inputIds()).containsExactly(expected);
        for (int i = 0; i <= context.length(); i++) {
            assertThat(t.labels()[i]).isEqualTo(X);
        }
        assertThat(t.labels()[context.length() + 1]).isEqualTo('A');
        assertThat(t.labels()[context.length() + 2]).isEqualTo(2);
    }

    @Test
    void llama2ChatFollowsMetasFormat() {
        TrainingExample chat = new TrainingExample("sys", List.of(new TrainingExample.Exchange("u1", "a1")), "u2", " a2 ");
        TokenizedExample t = PromptTemplate.LLAMA2_CHAT.tokenize(chat, CHARS, SPECIAL);
        String turn1 = "[INST] <<SYS>>\nsys\n<</SYS>>\n\nu1 [/INST] a1 ";
        String turn2 = "[INST] u2 [/INST]";
        StringBuilder expected = new StringBuilder();
        expected.appendCodePoint(1).append(turn1).appendCodePoint(2).appendCodePoint(1).append(turn2).append("a2").appendCodePoint(2);
        assertThat(t.inputIds()).containsExactly(expected.codePoints().toArray());
        int contextLength = turn1.length() + turn2.length() + 3;
        assertThat(java.util.Arrays.copyOfRange(t.labels(), 0, contextLength)).containsOnly(X);
        assertThat(java.util.Arrays.copyOfRange(t.labels(), contextLength, t.length())).containsExactly('a', '2', 2);
    }

    @Test
    void truncationDropsTheEnd() {
        TokenizedExample t = PromptTemplate.RAW.tokenize(TrainingExample.of("ab", "cd"), CHARS, SPECIAL).truncate(4);
        assertThat(t.inputIds()).containsExactly(1, 'a', 'b', 'c');
        assertThat(t.labels()).containsExactly(X, X, X, 'c');
    }

    @Test
    void templatesAreNamedAsOnTheCommandLine() {
        assertThat(PromptTemplate.fromName("llama2-chat")).isEqualTo(PromptTemplate.LLAMA2_CHAT);
        assertThat(PromptTemplate.fromName("RAW")).isEqualTo(PromptTemplate.RAW);
        assertThatThrownBy(() -> PromptTemplate.fromName("alpaca")).hasMessageContaining("unknown template 'alpaca'");
    }
}
