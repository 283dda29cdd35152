package dev.safelora.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * The tokens that end generation for a model: {@code eos_token_id} of config.json and of
 * generation_config.json (chat models often list extra ones there, e.g. Llama 3's end-of-turn).
 */
public final class StopTokens {

    private StopTokens() {
    }

    public static Set<Long> of(Path modelDir, ModelConfig config) {
        Set<Long> stop = new TreeSet<>();
        config.eosTokenIds().forEach(id -> stop.add(id.longValue()));
        Path file = modelDir.resolve("generation_config.json");
        if (Files.isRegularFile(file)) {
            try {
                JsonNode eos = new ObjectMapper().readTree(file.toFile()).get("eos_token_id");
                if (eos != null && eos.isArray()) {
                    eos.forEach(id -> stop.add(id.asLong()));
                } else if (eos != null && eos.canConvertToLong()) {
                    stop.add(eos.asLong());
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": " + dev.safelora.files.StrictJson.reason(e), e);
            }
        }
        return Set.copyOf(stop);
    }
}
