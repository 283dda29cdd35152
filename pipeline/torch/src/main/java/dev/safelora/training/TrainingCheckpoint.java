package dev.safelora.training;

import dev.safelora.files.FileTrees;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.model.Tensors;
import dev.safelora.tensor.SafetensorsFile;
import dev.safelora.tensor.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;

/**
 * A resumable snapshot of training after some optimizer step, in {@code <out>/checkpoints/step-N/}:
 * {@code state.safetensors} holds every LoRA tensor and both AdamW moments in fp32, and
 * {@code trainer_state.json} the step, the token count and a fingerprint of the run's
 * configuration and tokenized data. The data order and dropout seeds are functions of the step
 * (see {@link TrainingPlan}), so no generator state is stored. {@code trainer_state.json} is
 * written last: a directory without it is an unfinished checkpoint and is ignored.
 */
record TrainingCheckpoint(Path directory, long step, long tokens, String fingerprint) {

    static final String STATE_FILE = "trainer_state.json";
    static final String TENSORS_FILE = "state.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path root(Path outDir) {
        return outDir.resolve("checkpoints");
    }

    /** Writes the checkpoint of {@code step}, then removes older ones. */
    static TrainingCheckpoint write(Path outDir, long step, long tokens, String fingerprint,
                                    List<String> names, LoraAdamW optimizer) {
        Path dir = root(outDir).resolve(String.format("step-%08d", step));
        try {
            if (Files.exists(dir)) {
                FileTrees.delete(dir);
            }
            Files.createDirectories(dir);
            SafetensorsWriter writer = new SafetensorsWriter().metadata("step", Long.toString(step));
            for (int i = 0; i < names.size(); i++) {
                Tensor p = optimizer.params().get(i);
                long[] shape = Tensors.shape(p);
                writer.addFloats(names.get(i), shape, Tensors.toFloats(p));
                writer.addFloats(names.get(i) + ".exp_avg", shape, Tensors.toFloats(optimizer.expAvg().get(i)));
                writer.addFloats(names.get(i) + ".exp_avg_sq", shape, Tensors.toFloats(optimizer.expAvgSq().get(i)));
            }
            writer.write(dir.resolve(TENSORS_FILE));
            ObjectNode state = JSON.createObjectNode()
                    .put("step", step)
                    .put("optimizer_steps", optimizer.steps())
                    .put("tokens", tokens)
                    .put("fingerprint", fingerprint);
            Path tmp = dir.resolve(STATE_FILE + ".tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
            Files.move(tmp, dir.resolve(STATE_FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            for (Path older : list(outDir)) {
                if (!older.equals(dir)) {
                    FileTrees.delete(older);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
        return new TrainingCheckpoint(dir, step, tokens, fingerprint);
    }

    /** The newest complete checkpoint under {@code outDir}, if any. */
    static Optional<TrainingCheckpoint> latest(Path outDir) {
        List<Path> dirs = list(outDir);
        for (int i = dirs.size() - 1; i >= 0; i--) {
            Path state = dirs.get(i).resolve(STATE_FILE);
            if (Files.isRegularFile(state)) {
                try {
                    JsonNode node = JSON.readTree(state.toFile());
                    return Optional.of(new TrainingCheckpoint(dirs.get(i), node.get("step").asLong(),
                            node.get("tokens").asLong(), node.get("fingerprint").asText()));
                } catch (IOException | NullPointerException e) {
                    throw new IllegalStateException("checkpoint state " + state + " is unreadable: "
                            + (e instanceof IOException io ? dev.safelora.files.StrictJson.reason(io) : "a field is missing"), e);
                }
            }
        }
        return Optional.empty();
    }

    /** Loads the LoRA tensors and optimizer moments into {@code optimizer}'s parameters. */
    void restore(List<String> names, LoraAdamW optimizer) {
        try (SafetensorsFile file = SafetensorsFile.open(directory.resolve(TENSORS_FILE))) {
            List<float[]> m = new ArrayList<>();
            List<float[]> v = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                if (!file.names().contains(names.get(i))) {
                    throw new IllegalStateException("checkpoint " + directory + " has no tensor " + names.get(i));
                }
                TorchArrays.copyInto(optimizer.params().get(i), file.floats(names.get(i)));
                m.add(file.floats(names.get(i) + ".exp_avg"));
                v.add(file.floats(names.get(i) + ".exp_avg_sq"));
            }
            optimizer.restore(step, m, v);
        }
    }

    private static List<Path> list(Path outDir) {
        Path root = root(outDir);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
