package dev.safelora.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The single entry point: {@code ./safelora <command> [options]}. */
@Command(
        name = "safelora",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "SafeLoRA pipeline: align, train, project and evaluate LoRA adapters, on Kafka or offline.")
public final class Main implements Runnable {

    /** Every subcommand, in the order {@code safelora --help} lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            CommandLine.HelpCommand.class,
            DevClusterCommand.class,
            TailCommand.class,
            TopicsCommand.class,
            BenchClusterCommand.class,
            SubmitCommand.class,
            AlignCommand.class,
            ProjectCommand.class,
            ExportCommand.class,
            MergeCommand.class,
            SweepCommand.class,
            BenchSafeLoraCommand.class,
            LogitsCommand.class,
            GenerateCommand.class,
            TinyModelCommand.class,
            ToyFamilyCommand.class,
            BenchModelCommand.class,
            StageCommand.class,
            DemoCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            BenchTrainCommand.class,
            AuditCommand.class,
            GpuCheckCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the whole command line with the project's error handling. */
    public static CommandLine commandLine() {
        return commandLine(SUBCOMMANDS);
    }

    /**
     * The command line {@code main} runs {@code args} on: where they start with a subcommand's name, {@code safelora}
     * with that subcommand alone. picocli loads and instantiates every subcommand, and their option types, when it
     * builds a command line: building the whole one was 0.9 s of an 8-layer {@code project}'s 1.6 s (benchmarks/README.md). Anything
     * else ({@code help}, no command, a name that is not one) gets the whole command line, so its listings and
     * suggestions are complete. Tests run the CLI through this too.
     */
    static CommandLine commandLineFor(String[] args) {
        if (args.length > 0) {
            for (Class<?> subcommand : SUBCOMMANDS) {
                if (subcommand != CommandLine.HelpCommand.class && subcommand.getAnnotation(Command.class).name().equals(args[0])) {
                    return commandLine(List.of(subcommand));
                }
            }
        }
        return commandLine();
    }

    private static CommandLine commandLine(List<Class<?>> subcommands) {
        CommandLine cli = new CommandLine(new Main());
        subcommands.forEach(cli::addSubcommand);
        // after the subcommands: picocli gives converters only to those already added
        return withErrorHandling(EnumOptions.register(cli));
    }

    public static void main(String[] args) {
        KernelWarmUp.startFor(args);
        if (args.length >= 2 && args[0].equals("stage") && args[1].equals("planner")) {
            System.exit(plannerCommandLine().execute(java.util.Arrays.copyOfRange(args, 2, args.length)));
        }
        System.exit(commandLineFor(args).execute(args));
    }

    /**
     * {@code stage planner} alone. The planner's image has no libtorch, tokenizer, broker or worker stages on its
     * class path (target/lib-planner), and picocli loads and instantiates every subcommand of a command when it builds
     * it: {@code stage} built alone would still load the worker stages, so the planner is parsed on its own.
     */
    static CommandLine plannerCommandLine() {
        CommandLine cli = withErrorHandling(new CommandLine(new PlannerStageCommand()));
        cli.setCommandName("safelora stage planner");
        return cli;
    }

    private static CommandLine withErrorHandling(CommandLine cli) {
        cli.setExecutionExceptionHandler(new OneLineErrors());
        cli.setParameterExceptionHandler(new OneLineErrors());
        // picocli hands only Exceptions to the handler; an Error (out of memory, a native library) would end in a stack trace
        CommandLine.IExecutionStrategy run = cli.getExecutionStrategy();
        cli.setExecutionStrategy(parsed -> {
            try {
                return run.execute(parsed);
            } catch (Error e) {
                return OneLineErrors.fatal(parsed.commandSpec().commandLine(), e);
            }
        });
        return cli;
    }
}
