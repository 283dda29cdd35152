package dev.safelora.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends one JSON object per optimizer step to a file:
 * {@code {"step","epoch","loss","lr","grad_norm","tokens","tokens_per_s","elapsed_s"}}, flushed per
 * line so that a crash loses nothing already trained. A resumed run appends to the same file.
 */
public final class JsonlTrainingLog implements TrainingListener, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final BufferedWriter out;

    public JsonlTrainingLog(Path file, boolean append) {
        this.file = file;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write training log " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void onStep(TrainingProgress p) {
        ObjectNode line = JSON.createObjectNode()
                .put("step", p.step())
                .put("epoch", p.epoch())
                .put("loss", p.loss())
                .put("lr", p.learningRate())
                .put("grad_norm", p.gradNorm())
                .put("tokens", p.tokens())
                .put("tokens_per_s", p.tokensPerSecond())
                .put("elapsed_s", p.elapsed().toMillis() / 1000.0);
        try {
            out.write(JSON.writeValueAsString(line));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write training log " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
