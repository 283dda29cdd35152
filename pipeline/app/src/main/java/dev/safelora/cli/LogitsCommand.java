package dev.safelora.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.safelora.model.CausalLm;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Prints a model's logits for token ids as JSON: {\"logits\": [[...vocab...], ...one row per position]}.")
final class LogitsCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--merge", description = "merge the adapter into the weights before running")
    boolean merge;

    @Option(names = "--ids", required = true, split = ",", paramLabel = "ID", description = "token ids, comma separated")
    long[] ids;

    @Option(names = "--out", paramLabel = "FILE", description = "write the JSON here instead of stdout")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (out != null && Files.isDirectory(out)) {
            // before the model loads, and before a FILE.tmp is written beside it and left there
            throw new IllegalArgumentException("--out " + out + " is a directory; give the file name to write");
        }
        CausalLm lm = modelOptions.load();
        if (modelOptions.adapter != null && merge) {
            lm.mergeLora();
        }
        float[][] logits = lm.logits(ids);
        if (out == null) {
            java.io.PrintWriter stdout = spec.commandLine().getOut();
            write(logits, stdout);
            stdout.println();
            stdout.flush();
        } else {
            Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
            try {
                try (Writer writer = Files.newBufferedWriter(tmp)) {
                    write(logits, writer);
                }
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            spec.commandLine().getErr().println("wrote logits for " + ids.length + " positions x " + logits[0].length + " to " + out);
        }
        return 0;
    }

    /** Streams the rows (vocabularies of 100k+ make building a tree wasteful); leaves {@code writer} open. */
    static void write(float[][] logits, Writer writer) throws IOException {
        try (JsonGenerator json = new JsonFactory().createGenerator(writer)) {
            json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            json.writeStartObject();
            json.writeArrayFieldStart("logits");
            for (float[] row : logits) {
                json.writeStartArray();
                for (float v : row) {
                    // Jackson writes a float's shortest decimal form ("0.1", not 0.10000000149).
                    json.writeNumber(v);
                }
                json.writeEndArray();
            }
            json.writeEndArray();
            json.writeEndObject();
        }
    }
}
