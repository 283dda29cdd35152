package dev.safelora.cli;

import java.util.function.Supplier;

import picocli.CommandLine;

/**
 * Turns any failure into one line on stderr and a non-zero exit: 2 for bad usage, 1 for
 * everything else. Stack traces only with SAFELORA_DEBUG=1.
 */
final class OneLineErrors implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {

    static final int USAGE = 2;
    static final int FAILURE = 1;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cli, CommandLine.ParseResult parsed) {
        report(cli, describe(ex), ex);
        return FAILURE;
    }

    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cli = ex.getCommandLine();
        // picocli words its argument-group errors "Error: ..."; the line already says "error:"
        String message = describe(ex).replaceFirst("^Error: ", "");
        report(cli, message + " (see '" + cli.getCommandSpec().qualifiedName() + " --help')", ex);
        return USAGE;
    }

    /** An Error out of a command: one line as well, with what to do about the ones a user can do something about. */
    static int fatal(CommandLine cli, Error e) {
        String message;
        if (e instanceof OutOfMemoryError) {
            message = "out of memory (" + describe(e) + "); give the JVM more with SAFELORA_JAVA_OPTS=-Xmx<size>";
        } else if (e instanceof LinkageError) {
            message = "cannot load " + describe(e) + " (" + e.getClass().getSimpleName() + ")";
        } else {
            message = "internal error: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + describe(e))
                    + " (SAFELORA_DEBUG=1 shows where)";
        }
        report(cli, message, e);
        return FAILURE;
    }

    /**
     * Parses an option's value with a library parser; its IllegalArgumentException is bad usage (exit 2,
     * with the pointer to --help), not a failure of the work.
     */
    static <T> T optionValue(CommandLine.Model.CommandSpec spec, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), describe(e), e);
        }
    }

    static String describe(Throwable ex) {
        String message = ex.getMessage();
        if (ex instanceof java.io.UncheckedIOException && ex.getCause() != null && java.util.Objects.equals(message, ex.getCause().toString())) {
            ex = ex.getCause(); // wrapped without context: the cause says it all
            message = ex.getMessage();
        }
        if (ex instanceof java.nio.file.FileSystemException fs && fs.getReason() == null && message != null) {
            // NoSuchFileException, NotDirectoryException, ...: the message is the bare path
            message = message + ": " + fileProblem(fs);
        } else if (message != null) {
            // "cannot create output directory P: " + e.getMessage() ends with the bare path again: say what it is instead
            for (Throwable c = ex.getCause(), seen = ex; c != null && c != seen; seen = c, c = c.getCause()) {
                if (c instanceof java.nio.file.FileSystemException fs && fs.getReason() == null && fs.getMessage() != null
                        && message.endsWith(": " + fs.getMessage())) {
                    message = message.substring(0, message.length() - fs.getMessage().length()) + fileProblem(fs);
                    break;
                }
            }
        }
        if (message == null || message.isBlank()) {
            message = ex.getClass().getSimpleName();
        }
        // a parse error wrapped with its text would quote the file it came from: keep its position only
        message = dev.safelora.files.StrictJson.withoutContent(message, ex);
        return message.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    private static String fileProblem(java.nio.file.FileSystemException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        } else if (e instanceof java.nio.file.NotDirectoryException) {
            return "not a directory";
        } else if (e instanceof java.nio.file.FileAlreadyExistsException) {
            // what Files.createDirectories says when a file is in the way
            return e.getFile() != null && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(e.getFile()))
                    ? "exists and is not a directory" : "already exists";
        } else if (e instanceof java.nio.file.DirectoryNotEmptyException) {
            return "directory not empty";
        } else if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getClass().getSimpleName();
    }

    private static void report(CommandLine cli, String message, Throwable ex) {
        cli.getErr().println("safelora: error: " + message);
        if ("1".equals(System.getenv("SAFELORA_DEBUG"))) {
            ex.printStackTrace(cli.getErr());
        }
        cli.getErr().flush();
    }
}
