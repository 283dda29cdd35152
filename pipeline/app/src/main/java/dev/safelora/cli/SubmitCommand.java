package dev.safelora.cli;

import dev.safelora.contracts.AvroJson;
import dev.safelora.requests.RequestKind;
import dev.safelora.requests.RequestReader;
import dev.safelora.requests.ValidatedRequest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code safelora submit registration|training|selection --file REQ.json}: validates a JSON
 * request and produces it as Avro to its topic, keyed per the topic table. Exit codes: 0 submitted
 * (or valid, with --dry-run); 1 the request is invalid or could not be produced; 2 bad usage.
 */
@Command(
        name = "submit",
        mixinStandardHelpOptions = true,
        description = {
            "Validate a JSON request file and produce it to its topic (Avro, schema registered under <topic>-value).",
            "Kinds:",
            "  registration  -> safelora.model-registrations.v1, key: family",
            "  training      -> safelora.training-requests.v1, key: request id",
            "  selection     -> safelora.layer-selections.v1, key: family or adapter id",
            "Examples are in examples/requests/. Ids and timestamps left out are generated.",
            "A broker that does not answer within --connect-timeout (or --timeout, if shorter) is a produce failure.",
            "Exit status: 0 ok, 1 invalid request or produce failure, 2 usage error.",
            ""
        })
public final class SubmitCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KIND", converter = KindConverter.class,
            description = "registration, training or selection")
    RequestKind kind;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "REQ.json",
            description = "the JSON request file; - reads standard input")
    Path file;

    @Option(names = "--dry-run", description = "validate and print the record as JSON; do not connect to Kafka")
    boolean dryRun;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "give up producing after this many seconds (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @CommandLine.Mixin
    ClusterOptions cluster = new ClusterOptions();

    @Override
    public Integer call() throws Exception {
        ValidatedRequest request = file.toString().equals("-")
                ? new RequestReader().read(kind, System.in.readNBytes(RequestReader.MAX_REQUEST_BYTES + 1), "<stdin>")
                : new RequestReader().read(kind, file);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (dryRun) {
            out.println(AvroJson.toPrettyJson(request.value()));
            out.flush();
            err.println("dry run: valid " + kind.description() + "; would produce to " + request.topic().topicName()
                    + " with key " + request.key());
            err.flush();
            return 0;
        }
        if (timeoutSeconds <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout must be > 0 seconds, got " + timeoutSeconds);
        }
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        RequestProducer.Delivery delivery = RequestProducer.produce(request, cluster.reachableSettings(timeout), timeout);
        out.println(delivery.line(request));
        out.flush();
        return 0;
    }

    /** Lower-case kind names; anything else is a usage error listing the valid ones. */
    static final class KindConverter implements CommandLine.ITypeConverter<RequestKind> {
        @Override
        public RequestKind convert(String value) {
            return RequestKind.byCliName(value).orElseThrow(() -> new CommandLine.TypeConversionException(
                    "unknown request kind '" + value + "' (expected one of: "
                            + Arrays.stream(RequestKind.values()).map(RequestKind::cliName).collect(Collectors.joining(", "))
                            + ")"));
        }
    }
}
