package dev.safelora.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AnswerExtractorTest {

    @Test
    void takesTheNumberAfterTheGsm8kMarker() {
        String gsm8k = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
                + "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72";
        assertThat(AnswerExtractor.extract(gsm8k)).contains("72");
        assertThat(AnswerExtractor.extract("#### 1,000 and then 5")).contains("1000");
    }

    @Test
    void withoutTheMarkerTakesTheLastNumber() {
        assertThat(AnswerExtractor.extract("3 apples and 4 pears make 7.")).contains("7");
        assertThat(AnswerExtractor.extract("The answer is -12")).contains("-12");
        assertThat(AnswerExtractor.extract("#### no number here, but 5 before")).contains("5");
    }

    @Test
    void normalisesCommasSignsAndDecimals() {
        assertThat(AnswerExtractor.extract("It costs $1,234.50 in total")).contains("1234.5");
        assertThat(AnswerExtractor.extract("+18")).contains("18");
        assertThat(AnswerExtractor.extract("18.00")).contains("18");
        assertThat(AnswerExtractor.extract("-0")).contains("0");
        assertThat(AnswerExtractor.extract("about .5 of it")).contains("0.5");
        assertThat(AnswerExtractor.extract("1,000,000 people")).contains("1000000");
        assertThat(AnswerExtractor.normalise("-1,234.500")).isEqualTo("-1234.5");
        assertThat(AnswerExtractor.normalise("100")).isEqualTo("100");
    }

    @Test
    void aTextWithoutNumbersHasNoAnswer() {
        assertThat(AnswerExtractor.extract("I don't know")).isEmpty();
        assertThat(AnswerExtractor.extract("")).isEmpty();
    }

    @Test
    void matchesComparesNormalisedAnswers() {
        assertThat(AnswerExtractor.matches("so she has 1,200 left", "work...\n#### 1200")).isTrue();
        assertThat(AnswerExtractor.matches("#### 12.0", "#### 12")).isTrue();
        assertThat(AnswerExtractor.matches("#### 13", "#### 12")).isFalse();
        assertThat(AnswerExtractor.matches("no idea", "#### 12")).isFalse();
        assertThat(AnswerExtractor.matches("12", "no reference number")).isFalse();
    }
}
