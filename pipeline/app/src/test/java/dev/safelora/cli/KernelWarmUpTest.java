package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Main starts the kernels' warm-up from the raw arguments: the same kernels the parsed project command uses. */
class KernelWarmUpTest {

    @Test
    void predictsTheKernelsTheParsedProjectCommandChooses() {
        List<String[]> lines = List.of(
                new String[] {"project", "--adapter", "a", "--alignment", "al", "--out", "o"},
                new String[] {"project", "--adapter=a", "--alignment=al", "--out=o"},
                new String[] {"project", "--adapter", "a", "--alignment", "al", "--out", "o", "--remedy", "subspace"},
                new String[] {"project", "--adapter", "a", "--alignment=al", "--out", "o", "--remedy=subspace"},
                new String[] {"project", "--adapter", "a", "--alignment", "al", "--out", "o", "--remedy", "zero"},
                new String[] {"project", "--adapter", "a", "--alignment", "al", "--out", "o", "--mode", "subspace"},
                new String[] {"project", "--adapter", "a", "--alignment", "al", "--out", "o", "--mode=threshold", "--threshold", "0.3"},
                new String[] {"project", "--adapter", "a", "--base", "b", "--aligned", "c", "--out", "o"},
                new String[] {"project", "--adapter", "a", "--base=b", "--aligned=c", "--out=o", "--remedy", "shrink"},
                new String[] {"project", "--adapter", "a", "--alignment", "al", "--out", "o", "--remedy", " subspace "},
                new String[] {"project", "--adapter", "a", "--alignment", "al", "--out", "o", "--remedy=SUBSPACE"});
        for (String[] line : lines) {
            CommandLine.ParseResult parsed = Main.commandLine().parseArgs(line);
            ProjectCommand command = (ProjectCommand) parsed.subcommand().commandSpec().userObject();
            assertThat(KernelWarmUp.kernelsFor(line)).as(String.join(" ", line)).isEqualTo(command.kernels());
        }
    }

    @Test
    void startsNothingForOtherCommands() {
        assertThat(KernelWarmUp.kernelsFor(new String[0])).isNull();
        assertThat(KernelWarmUp.kernelsFor(new String[] {"align", "--alignment", "x"})).isNull();
        assertThat(KernelWarmUp.kernelsFor(new String[] {"sweep", "--alignment", "x"})).isNull();
        // picocli expands @files; the prediction does not open them, and leaves the choice to the command
        assertThat(KernelWarmUp.kernelsFor(new String[] {"project", "@args.txt"})).isNull();
    }
}
