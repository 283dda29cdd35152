package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** What `safelora --help` and `safelora <command> --help` show a new user. */
class HelpTextTest {

    @Test
    void everyCommandListsWithACompleteSentenceAndDescribesEveryOption() {
        List<String> problems = new ArrayList<>();
        collect(Main.commandLine(), problems);
        assertThat(problems).isEmpty();
    }

    @Test
    void aCommandBuiltAloneForMainHelpsAndParsesAsInTheWholeCommandLine() {
        CommandLine whole = Main.commandLine();
        assertThat(whole.getSubcommands()).hasSize(Main.SUBCOMMANDS.size());
        whole.getSubcommands().forEach((name, sub) -> {
            if (name.equals("help")) {
                return;
            }
            CommandLine alone = Main.commandLineFor(new String[] {name, "--help"});
            assertThat(alone.getSubcommands().keySet()).containsExactly(name);
            assertThat(usages(alone.getSubcommands().get(name))).isEqualTo(usages(sub));
        });
        // help, no command and an unknown one get the whole command line, for complete listings and suggestions
        for (String[] args : new String[][] {{"help", "project"}, {}, {"projetc"}, {"--help"}}) {
            assertThat(Main.commandLineFor(args).getSubcommands()).hasSize(Main.SUBCOMMANDS.size());
        }
        // the project's enum converters reach a command built alone: picocli's own would refuse "top-k"
        CommandLine alone = Main.commandLineFor(new String[] {"project"});
        CommandLine.ParseResult parsed = alone.parseArgs("project", "--adapter=a", "--alignment=b", "--out=c",
                "--mode=top-k", "--top-k=2");
        assertThat((Object) parsed.subcommand().matchedOptionValue("--mode", null)).isEqualTo(ProjectCommand.Mode.TOP_K);
    }

    /** The usage message of a command and of every command under it, by qualified name. */
    private static java.util.Map<String, String> usages(CommandLine cli) {
        java.util.Map<String, String> usages = new java.util.TreeMap<>();
        usages.put(cli.getCommandSpec().qualifiedName(), cli.getUsageMessage(CommandLine.Help.Ansi.OFF));
        cli.getSubcommands().values().forEach(sub -> usages.putAll(usages(sub)));
        return usages;
    }

    private static void collect(CommandLine cli, List<String> problems) {
        CommandSpec spec = cli.getCommandSpec();
        String[] description = spec.usageMessage().description();
        // the command lists show only this first line
        if (description.length == 0 || !description[0].strip().endsWith(".")) {
            problems.add(spec.qualifiedName() + ": first description line is not a sentence: "
                    + (description.length == 0 ? "(none)" : description[0]));
        }
        for (OptionSpec option : spec.options()) {
            if (!option.hidden() && !option.usageHelp() && !option.versionHelp()
                    && String.join("", option.description()).isBlank()) {
                problems.add(spec.qualifiedName() + " " + option.longestName() + ": no description");
            }
        }
        cli.getSubcommands().forEach((name, sub) -> {
            if (!sub.getCommandSpec().usageMessage().hidden() && !name.equals("help")) {
                collect(sub, problems);
            }
        });
    }
}
