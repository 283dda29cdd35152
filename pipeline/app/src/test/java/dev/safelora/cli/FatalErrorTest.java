package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An Error out of a command (here the heap running out, in a JVM of its own) is one line too, not a stack trace. */
class FatalErrorTest {

    @TempDir
    Path dir;

    @Test
    void runningOutOfHeapIsOneLineSayingHowToGiveTheJvmMore() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // a 4-layer model of hidden size 1024 needs far more than a 24 MB heap
        Process p = new ProcessBuilder(List.of(java.toString(), "-Xmx24m", "-cp", System.getProperty("java.class.path"),
                "dev.safelora.cli.Main", "tiny-model", "--out", dir.resolve("big").toString(), "--hidden", "1024",
                "--intermediate", "4096", "--layers", "4"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isEqualTo(1);
        assertThat(err.lines().filter(l -> !l.isBlank()).toList()).containsExactly(
                "safelora: error: out of memory (Java heap space); give the JVM more with SAFELORA_JAVA_OPTS=-Xmx<size>");
    }
}
