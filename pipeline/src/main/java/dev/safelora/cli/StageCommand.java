package dev.safelora.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code safelora stage <name>}: runs one pipeline stage against a Kafka cluster and schema registry. */
@Command(name = "stage", mixinStandardHelpOptions = true,
        description = "Run one pipeline stage against a Kafka cluster and schema registry until interrupted.",
        subcommands = {PlannerStageCommand.class})
public final class StageCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
