package dev.safelora.cli;

import dev.safelora.demo.Demo;
import dev.safelora.demo.DemoResult;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code safelora demo}: the whole pipeline in one process on the toy family, a harmful and a benign fine-tune, a summary. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {
            "Run the whole pipeline in one process: SafeLoRA on a harmful and a benign fine-tune.",
            "Generates the toy family (a tiny base model and its sibling aligned to refuse",
            "harmful requests, with data), starts an embedded Kafka broker (KRaft) and schema",
            "registry and every stage (the trainer fine-tunes the aligned model), submits one",
            "registration and two training requests (selection AUTO), waits for both adapters",
            "and evaluations, prints aligned / raw / projected side by side (refusal, attack",
            "success, over-refusal, task accuracy), the projected modules and why, the artifact",
            "locations, and stops everything.",
            "Exit status: 0 done; 1 a stage failed or dead-lettered a record, or timeout."})
public final class DemoCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "put models, data, artifacts, stage state and the broker's data here (default: a new temporary directory, kept)")
    Path workDir;

    @Option(names = "--keep-running", description = "after the summary keep the cluster and stages up until Ctrl-C")
    boolean keepRunning;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "give up waiting for the adapter and evaluation after this many seconds (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "the toy family's seed (default: ${DEFAULT-VALUE}; docs/safelora-effect.md has seeds 1-3)")
    long seed;

    @Option(names = "--epochs", hidden = true, paramLabel = "N", description = "training epochs of both fine-tunes (tests train shorter)")
    Integer epochs;

    @Override
    public Integer call() throws Exception {
        if (epochs != null && epochs < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--epochs must be >= 1, got " + epochs);
        }
        if (timeoutSeconds <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout must be > 0 seconds, got " + timeoutSeconds);
        }
        quietLogs();
        Path dir = workDir != null ? workDir : Files.createTempDirectory("safelora-demo-");
        PrintWriter out = spec.commandLine().getOut();
        Demo demo = new Demo(new Demo.Settings(dir, Duration.ofSeconds(timeoutSeconds), keepRunning,
                epochs != null ? epochs : 0, seed),
                (request, cluster) -> RequestProducer.produce(request, cluster, Duration.ofSeconds(30)).line(request),
                out);
        Thread hook = new Thread(() -> demo.stop(Duration.ofSeconds(60)), "demo-stop");
        if (keepRunning) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
        DemoResult result = demo.run();
        out.println("work dir kept: " + result.workDir());
        out.flush();
        return 0;
    }

    /** The stages log at INFO for operators; in the demo the progress lines say what matters. */
    private static void quietLogs() {
        if (System.getenv("SAFELORA_LOG_LEVEL") == null) {
            Configurator.setLevel("dev.safelora", Level.WARN);
        }
        if (System.getenv("SAFELORA_KAFKA_LOG_LEVEL") == null) {
            Configurator.setLevel("org.apache.kafka", Level.ERROR);
            Configurator.setLevel("kafka", Level.ERROR);
        }
    }
}
