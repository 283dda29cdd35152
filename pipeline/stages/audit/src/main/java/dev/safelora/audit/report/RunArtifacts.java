package dev.safelora.audit.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What the trainer left beside an adapter's {@code report.json} (reachable when its URI is {@code file:}): the
 * projection's per-module distances (for per-layer Pdst) and {@code training_log.jsonl} (loss and learning rate
 * per step). Missing or unreadable files give empty results: the ledger alone still makes a report.
 */
public record RunArtifacts(Optional<JsonNode> report, List<TrainingPoint> log, Map<Integer, Double> layerPdst) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One line of training_log.jsonl. */
    public record TrainingPoint(long step, double loss, double learningRate) {}

    public static RunArtifacts none() {
        return new RunArtifacts(Optional.empty(), List.of(), Map.of());
    }

    public static RunArtifacts near(String reportUri) {
        if (reportUri == null || !reportUri.startsWith("file:")) {
            return none();
        }
        Path report;
        try {
            report = Path.of(URI.create(reportUri));
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return none();
        }
        Optional<JsonNode> json = Optional.empty();
        if (Files.isRegularFile(report)) {
            try {
                json = Optional.of(JSON.readTree(report.toFile()));
            } catch (IOException e) {
                json = Optional.empty();
            }
        }
        return new RunArtifacts(json, trainingLog(report.getParent()), json.map(RunArtifacts::layerPdst).orElse(Map.of()));
    }

    /** Pdst per decoder layer: the mean over that layer's modules of {@code 1 / (1 + ||B_final - C B||_F)}. */
    static Map<Integer, Double> layerPdst(JsonNode report) {
        Map<Integer, double[]> sums = new TreeMap<>();
        for (JsonNode m : report.path("projection").path("modules")) {
            if (!m.path("distance").isNumber() || !m.path("layer").isInt()) {
                continue;
            }
            double[] acc = sums.computeIfAbsent(m.path("layer").asInt(), k -> new double[2]);
            acc[0] += 1 / (1 + m.path("distance").asDouble());
            acc[1]++;
        }
        Map<Integer, Double> result = new TreeMap<>();
        sums.forEach((layer, acc) -> result.put(layer, acc[0] / acc[1]));
        return result;
    }

    private static List<TrainingPoint> trainingLog(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.find(dir, 4, (p, a) -> p.getFileName().toString().equals("training_log.jsonl"))) {
            Optional<Path> log = files.findFirst();
            if (log.isEmpty()) {
                return List.of();
            }
            List<TrainingPoint> points = new ArrayList<>();
            for (String line : Files.readAllLines(log.get())) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = JSON.readTree(line);
                if (n.path("step").isNumber() && n.path("loss").isNumber()) {
                    points.add(new TrainingPoint(n.path("step").asLong(), n.path("loss").asDouble(), n.path("lr").asDouble(Double.NaN)));
                }
            }
            return points;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
