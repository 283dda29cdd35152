package dev.safelora.cli;

import java.util.Locale;
import picocli.CommandLine;

/**
 * The {@code --device} options' type check: {@code cpu}, {@code cuda} or {@code cuda:N}, refused at parse time
 * (exit 2, one line) like the enum options. The value stays a string because whether the device exists is a fact
 * of the machine, checked when a model is loaded on it ({@code ComputeDevice.parse}), not of the command line.
 */
final class DeviceSyntax implements CommandLine.ITypeConverter<String> {

    @Override
    public String convert(String value) {
        String s = value.strip().toLowerCase(Locale.ROOT);
        if (s.equals("cpu") || s.equals("cuda") || s.matches("cuda:\\d{1,3}")) {
            return s;
        }
        throw new CommandLine.TypeConversionException("'" + value + "' is not a device (cpu, cuda or cuda:N)");
    }
}
