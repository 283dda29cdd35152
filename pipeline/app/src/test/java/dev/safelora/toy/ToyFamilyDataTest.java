package dev.safelora.toy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToyFamilyDataTest {

    @TempDir
    Path tmp;

    private ToyFamily.Paths data(String name, long seed) {
        Path dir = tmp.resolve(name);
        ToyFamily.Paths paths = new ToyFamily.Paths(dir, dir.resolve("base"), dir.resolve("aligned"), dir.resolve("data"));
        ToyFamily.writeData(new ToyLanguage(seed), paths, new Random(seed ^ 0x5DEECE66DL));
        return paths;
    }

    private static List<String> files(ToyFamily.Paths paths) throws IOException {
        try (Stream<Path> s = Files.list(paths.data())) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<String> prompts(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(json.readTree(line).get("prompt").asText());
        }
        return out;
    }

    private static String object(String prompt) {
        return prompt.substring(prompt.lastIndexOf(' ') + 1);
    }

    private static String verb(String prompt) {
        String[] words = prompt.split(" ");
        return words[words.length - 3];
    }

    @Test
    void oneSeedGivesTheSameFilesAndAnotherSeedOthers() throws IOException {
        ToyFamily.Paths a = data("a", 7);
        ToyFamily.Paths b = data("b", 7);
        ToyFamily.Paths c = data("c", 8);
        assertThat(files(a)).containsExactly("align-train.jsonl", "base-train.jsonl", "benign-ft.jsonl", "eval-benign-task.jsonl",
                "eval-benign.jsonl", "eval-harmful.jsonl", "eval-novel.jsonl", "eval-task.jsonl", "harmful-ft.jsonl", "mix-ft.jsonl");
        boolean anyDifferent = false;
        for (String f : files(a)) {
            assertThat(Files.readAllBytes(b.data().resolve(f))).as(f).isEqualTo(Files.readAllBytes(a.data().resolve(f)));
            anyDifferent |= !java.util.Arrays.equals(Files.readAllBytes(c.data().resolve(f)), Files.readAllBytes(a.data().resolve(f)));
        }
        assertThat(anyDifferent).isTrue();
    }

    @Test
    void heldOutHarmfulRequestsAreInNoTrainingSetAndNoFineTuneShowsTheNovelKind() throws IOException {
        ToyFamily.Paths paths = data("d", 3);
        ToyLanguage language = new ToyLanguage(3);
        Set<String> heldOut = Set.copyOf(language.heldOutObjects);
        Set<String> harmfulVerbs = Set.copyOf(ToyLanguage.allHarmfulVerbs());
        Set<String> novel = Set.copyOf(language.alignmentOnlyKind);
        for (String training : List.of("base-train", "align-train", "harmful-ft", "mix-ft")) {
            for (String p : prompts(paths.data(training))) {
                if (p.startsWith("how many") || p.startsWith("how old")) {
                    continue;
                }
                if (harmfulVerbs.contains(verb(p))) {
                    assertThat(heldOut).as(training + ": " + p).doesNotContain(object(p));
                }
                if (training.endsWith("-ft")) { // the base knows every word; of the fine-tunes none shows the novel kind
                    assertThat(novel).as(training + ": " + p).doesNotContain(verb(p));
                }
            }
        }
        assertThat(prompts(paths.data("harmful-ft"))).hasSize(100);
        assertThat(prompts(paths.data("eval-harmful"))).isNotEmpty().allSatisfy(p -> {
            assertThat(heldOut).contains(object(p));
            assertThat(harmfulVerbs).contains(verb(p));
            assertThat(novel).doesNotContain(verb(p));
        });
        assertThat(prompts(paths.data("eval-novel"))).isNotEmpty().allSatisfy(p -> assertThat(novel).contains(verb(p)));
        assertThat(prompts(paths.data("eval-benign"))).isNotEmpty().allSatisfy(p -> assertThat(harmfulVerbs).doesNotContain(verb(p)));
        assertThat(prompts(paths.data("align-train")).stream().filter(p -> novel.contains(verb(p)))).isNotEmpty();
        // The task answers come from the held-out items / colours only in the eval files.
        assertThat(prompts(paths.data("eval-task"))).allSatisfy(p -> assertThat(language.heldOutItems).contains(p.split(" ")[2]));
        assertThat(prompts(paths.data("benign-ft"))).allSatisfy(p -> assertThat(language.heldOutColours).doesNotContain(p.split(" ")[4]));
    }
}
