package dev.safelora.it.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The planner's image class path ({@code pipeline/app/target/lib-planner}) holds the planner and what it needs,
 * and none of libtorch, the tokenizer, the in-process broker or the worker stages. That the planner runs on it is
 * shown by every end-to-end scenario ({@link RunningStages} starts the planner JVM on it).
 */
class PlannerClassPathTest {

    @Test
    void thePlannerClassPathHasNoLibtorchTokenizerBrokerOrWorkers() throws IOException {
        StageJvm.plannerClasspath(); // fails with a clear line when the app is not packaged
        List<String> jars;
        try (Stream<Path> files = Files.list(StageJvm.APP_TARGET.resolve("lib-planner"))) {
            jars = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(jars).anyMatch(j -> j.startsWith("safelora-planner-"))
                .anyMatch(j -> j.startsWith("kafka-streams-"))
                .anyMatch(j -> j.startsWith("picocli-"));
        assertThat(jars).noneMatch(j -> j.startsWith("pytorch-") || j.startsWith("javacpp-") || j.startsWith("openblas-"))
                .noneMatch(j -> j.startsWith("tokenizers-") || j.startsWith("api-0"))
                .noneMatch(j -> j.startsWith("safelora-torch-") || j.startsWith("safelora-workers-") || j.startsWith("safelora-embedded-"))
                .noneMatch(j -> j.startsWith("kafka_2.13-") || j.startsWith("scala-"))
                .noneMatch(j -> j.startsWith("safelora-artifacts-s3-") || j.startsWith("s3-2") || j.startsWith("sdk-core-") || j.startsWith("netty-"));
    }
}
