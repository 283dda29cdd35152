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
