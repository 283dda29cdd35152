package dev.safelora.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

import dev.safelora.alignment.Aligner;
import dev.safelora.tensor.DType;
import dev.safelora.training.LearningRateSchedule;
import dev.safelora.training.PromptTemplate;
import picocli.CommandLine;

/**
 * Enum-typed options as users write them: lower case, '-' for '_' ({@code top-k}, {@code llama2-chat},
 * {@code bf16}), any case accepted. A value outside the enum is a usage error that lists the allowed ones.
 * Picocli's own enum conversion is case-insensitive at best and does not map '-' to '_'.
 */
final class EnumOptions {

    private EnumOptions() {
    }

    /** How a constant is written on the command line. */
    static String cliName(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static <E extends Enum<E>> CommandLine.ITypeConverter<E> converter(Class<E> type) {
        return converter(type, Arrays.stream(type.getEnumConstants()).map(EnumOptions::cliName).collect(Collectors.joining(", ")));
    }

    /** As {@link #converter(Class)}, naming {@code offered} as the values to choose from. */
    static <E extends Enum<E>> CommandLine.ITypeConverter<E> converter(Class<E> type, String offered) {
        return text -> {
            String wanted = text.strip().toUpperCase(Locale.ROOT).replace('-', '_');
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equals(wanted)) {
                    return constant;
                }
            }
            throw new CommandLine.TypeConversionException("'" + text + "' is not one of " + offered);
        };
    }

    /** Registers the converter of every enum that an option of this command line takes. */
    static CommandLine register(CommandLine cli) {
        register(cli, ProjectCommand.Mode.class);
        register(cli, ExportCommand.Target.class);
        register(cli, dev.safelora.projection.Remedy.class);
        register(cli, TinyModelCommand.Preset.class);
        register(cli, PromptTemplate.class);
        // every --dtype (align, merge, tiny-model) stores floats: the integer and bool dtypes would only be refused next
        cli.registerConverter(DType.class, converter(DType.class, "f32, f16, bf16"));
        register(cli, Aligner.OnZero.class);
        register(cli, LearningRateSchedule.Decay.class);
        register(cli, dev.safelora.audit.query.Table.Format.class);
        return cli;
    }

    private static <E extends Enum<E>> void register(CommandLine cli, Class<E> type) {
        cli.registerConverter(type, converter(type));
    }
}
