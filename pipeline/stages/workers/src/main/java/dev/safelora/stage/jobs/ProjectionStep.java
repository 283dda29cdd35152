package dev.safelora.stage.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.files.Digests;
import dev.safelora.projection.ProjectionReport;
import dev.safelora.projection.Remedy;
import dev.safelora.projection.SafeLoraProjector;
import dev.safelora.projection.Selection;
import dev.safelora.stage.BadInputException;
import dev.safelora.stage.JobContext;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * SafeLoRA projection of a raw adapter with a stored alignment, written to the store as
 * {@code <prefix>/projected/} (PEFT {@code adapter_config.json} + {@code adapter_model.safetensors} plus
 * {@code safelora_report.json}, the layout of the offline {@code project} command).
 */
public final class ProjectionStep {

    public static final String PROJECTED = "projected";
    /** Where {@code stage.export.vllm} puts the projected adapter's vLLM form, next to {@link #PROJECTED}. */
    public static final String VLLM = "vllm";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ProjectionStep.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param local      the projected adapter directory on this machine
     * @param sha256     of {@code adapter_model.safetensors}
     * @param reportUri  of {@code safelora_report.json}
     */
    public record Projected(ProjectionReport report, PeftAdapter adapter, Path local, URI uri, String sha256, URI reportUri) {
    }

    private ProjectionStep() {
    }

    public static Projected projectAndStore(StageArtifacts artifacts, PeftAdapter raw, URI alignmentUri, Selection selection,
                                            URI prefix, Path scratch, JobContext<?> context) throws IOException {
        return projectAndStore(artifacts, raw, alignmentUri, selection, Remedy.PROJECT, 0, prefix, scratch, context);
    }

    /** As above, with the remedy (and subspace rank, 0 for the default) applied to the selected modules. */
    public static Projected projectAndStore(StageArtifacts artifacts, PeftAdapter raw, URI alignmentUri, Selection selection,
                                            Remedy remedy, int subspaceRank, URI prefix, Path scratch, JobContext<?> context)
            throws IOException {
        Path alignmentDir = artifacts.local(alignmentUri, "alignment artifact");
        SafeLoraProjector.Result result;
        try (AlignmentArtifact alignment = AlignmentArtifact.open(alignmentDir)) {
            result = SafeLoraProjector.project(raw, alignment, selection, remedy, subspaceRank,
                    (done, total, module) -> context.checkCancelled());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.PROCESSING, "projection failed: " + e.getMessage(), e);
        }
        return store(artifacts, result, prefix, scratch);
    }

    /** Writes a projection (from {@link SafeLoraProjector} or an AUTO search) to {@code <prefix>/projected/}. */
    public static Projected store(StageArtifacts artifacts, SafeLoraProjector.Result result, URI prefix, Path scratch) throws IOException {
        Path local = scratch.resolve(PROJECTED);
        result.adapter().write(local);
        JSON.writeValue(local.resolve(ProjectionReport.FILE).toFile(), result.report());
        URI uri = artifacts.child(prefix, PROJECTED);
        artifacts.put(local, uri);
        String sha = Digests.fileSha256(local.resolve(PeftAdapter.WEIGHTS_FILE));
        return new Projected(result.report(), result.adapter(), local, uri, sha, artifacts.child(uri, ProjectionReport.FILE));
    }

    /**
     * Writes the projected adapter's vLLM form ({@code safelora export --for vllm}) to {@code <prefix>/vllm/}. The
     * PEFT form stays the product: an adapter whose rank exceeds {@code maxLoraRank} is logged and not exported.
     */
    public static java.util.Optional<URI> exportForVllm(StageArtifacts artifacts, Projected projected, URI prefix, Path scratch,
                                                         int maxLoraRank) throws IOException {
        dev.safelora.adapter.ServingExport.Result result;
        try {
            result = dev.safelora.adapter.ServingExport.forVllm(projected.adapter(), maxLoraRank, null);
        } catch (IllegalArgumentException e) {
            LOG.warn("adapter {}: no vLLM export: {}", projected.uri(), e.getMessage());
            return java.util.Optional.empty();
        }
        Path local = scratch.resolve(VLLM);
        result.adapter().write(local);
        URI uri = artifacts.child(prefix, VLLM);
        artifacts.put(local, uri);
        return java.util.Optional.of(uri);
    }

    /** Reads a PEFT adapter directory; an unreadable one is bad input. */
    public static PeftAdapter readAdapter(Path dir, String what) {
        if (!Files.isDirectory(dir)) {
            throw new BadInputException(BadInputException.Cause.ARTIFACT, what + " " + dir + " is not a directory");
        }
        try {
            return PeftAdapter.read(dir);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.ARTIFACT, what + ": " + e.getMessage(), e);
        }
    }
}
