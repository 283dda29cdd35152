package dev.safelora.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The single entry point: {@code ./safelora <command> [options]}. */
@Command(
        name = "safelora",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "SafeLoRA pipeline: align, train, project and evaluate LoRA adapters, on Kafka or offline.",
        subcommands = {
            CommandLine.HelpCommand.class,
            DevClusterCommand.class,
            TailCommand.class,
            TopicsCommand.class,
            BenchClusterCommand.class,
            SubmitCommand.class,
            AlignCommand.class,
            ProjectCommand.class,
            BenchSafeLoraCommand.class,
            LogitsCommand.class,
            GenerateCommand.class,
            TinyModelCommand.class,
            BenchModelCommand.class,
            StageCommand.class,
            DemoCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            BenchTrainCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the command line with the project's error handling; tests call this too. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(new OneLineErrors());
        cli.setParameterExceptionHandler(new OneLineErrors());
        return cli;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
