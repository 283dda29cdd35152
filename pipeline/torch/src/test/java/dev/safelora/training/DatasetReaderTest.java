package dev.safelora.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetReaderTest {

    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path f = dir.resolve("data.jsonl");
        Files.write(f, List.of(lines));
        return f;
    }

    @Test
    void readsAllThreeShapes() throws IOException {
        Dataset data = DatasetReader.readTraining(file(
                "{\"prompt\": \"2+2=\", \"response\": \"4\"}",
                "",
                "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                        + "{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"},"
                        + "{\"role\": \"user\", \"content\": \"bye\"}, {\"role\": \"assistant\", \"content\": \"ciao\"}]}",
                "{\"question\": \"How many?\", \"answer\": \"3 + 4 = 7\\n#### 7\", \"id\": 17}"), false);

        assertThat(data.size()).isEqualTo(3);
        assertThat(data.skippedLines()).isZero();
        assertThat(data.examples().get(0)).isEqualTo(TrainingExample.of("2+2=", "4"));
        assertThat(data.examples().get(1)).isEqualTo(new TrainingExample("Be brief.",
                List.of(new TrainingExample.Exchange("hi", "hello")), "bye", "ciao"));
        assertThat(data.examples().get(2)).isEqualTo(TrainingExample.of("How many?", "3 + 4 = 7\n#### 7"));
    }

    @Test
    void aBadLineIsAnErrorNamingItsLineNumber() throws IOException {
        Path f = file("{\"prompt\": \"a\", \"response\": \"b\"}", "", "{\"prompt\": \"a\", \"response\": ", "{}");
        assertThatThrownBy(() -> DatasetReader.readTraining(f, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 3:").hasMessageContaining("not valid JSON");
    }

    @Test
    void eachKindOfBadLineSaysWhatIsWrong() {
        DatasetReader reader = new DatasetReader(DatasetReader.Mode.TRAINING, false);
        assertThatThrownBy(() -> reader.parseLine("[1,2]")).hasMessageContaining("expected a JSON object");
        assertThatThrownBy(() -> reader.parseLine("{\"text\": \"x\"}")).hasMessageContaining("found fields [text]");
        assertThatThrownBy(() -> reader.parseLine("{\"prompt\": \"x\"}")).hasMessageContaining("missing field \"response\"");
        assertThatThrownBy(() -> reader.parseLine("{\"prompt\": 3, \"response\": \"x\"}")).hasMessageContaining("\"prompt\" must be a string");
        assertThatThrownBy(() -> reader.parseLine("{\"messages\": []}")).hasMessageContaining("non-empty array");
        assertThatThrownBy(() -> reader.parseLine("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}"))
                .hasMessageContaining("must end with an assistant message");
        assertThatThrownBy(() -> reader.parseLine("{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"},"
                + "{\"role\": \"assistant\", \"content\": \"y\"}]}")).hasMessageContaining("messages[0] has role \"assistant\"");
    }

    @Test
    void badLinesCanBeSkippedAndCounted() throws IOException {
        Dataset data = DatasetReader.readTraining(file("nonsense", "{\"prompt\": \"a\", \"response\": \"b\"}", "{\"q\": 1}"), true);
        assertThat(data.size()).isEqualTo(1);
        assertThat(data.skippedLines()).isEqualTo(2);
    }

    @Test
    void anEmptyDatasetIsAnError() throws IOException {
        Path empty = file("", "   ");
        assertThatThrownBy(() -> DatasetReader.readTraining(empty, false)).hasMessageContaining("holds no examples");
        Path allBad = file("x", "y");
        assertThatThrownBy(() -> DatasetReader.readTraining(allBad, true))
                .hasMessageContaining("holds no examples").hasMessageContaining("all 2 non-blank lines");
        assertThatThrownBy(() -> DatasetReader.readTraining(dir.resolve("missing.jsonl"), false))
                .hasMessageContaining("does not exist");
    }

    @Test
    void promptsMayComeWithoutResponses() throws IOException {
        Dataset data = DatasetReader.readPrompts(file("{\"prompt\": \"tell me\"}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"u\"}]}", "{\"question\": \"q\", \"answer\": \"#### 1\"}"));
        assertThat(data.examples()).containsExactly(TrainingExample.of("tell me", ""), TrainingExample.of("u", ""),
                TrainingExample.of("q", "#### 1"));
    }
}
