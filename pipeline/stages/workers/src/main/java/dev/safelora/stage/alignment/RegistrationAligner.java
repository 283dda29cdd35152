package dev.safelora.stage.alignment;

import dev.safelora.alignment.Aligner;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.alignment.AlignmentManifest;
import dev.safelora.files.Digests;
import dev.safelora.schema.AlignedModule;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentErrorCode;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.ModelRegistration;
import dev.safelora.stage.BadInputException;
import dev.safelora.stage.Failures;
import dev.safelora.stage.InputRecord;
import dev.safelora.stage.JobCancelledException;
import dev.safelora.stage.JobContext;
import dev.safelora.stage.LongJob;
import dev.safelora.stage.Output;
import dev.safelora.files.FileTrees;
import dev.safelora.stage.jobs.StageArtifacts;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registration to one {@link AlignmentEvent}. Every problem of the registration's checkpoints (missing,
 * pickle-only, shape mismatch, missing module, NaN...) becomes an {@code AlignmentFailed} event naming it at once;
 * transient failures (the store or registry away) escape to be retried by the loop, and so do I/O and unexpected
 * errors until the record's last attempt ({@code stage.max.attempts}), which ends in {@code AlignmentFailed}.
 *
 * <p>Deterministic: the artifact lives at {@code <root>/alignments/<family>/<registration id>} and the
 * event's {@code alignmentId} is a name-based UUID of the registration id, so a replay publishes the same
 * alignment version; an artifact already stored there is reused.
 */
public final class RegistrationAligner implements LongJob<ModelRegistration, SpecificRecord> {

    private static final Logger LOG = LoggerFactory.getLogger(RegistrationAligner.class);

    private final StageArtifacts artifacts;
    private final String alignmentsTopic;
    private final Path scratchRoot;

    public RegistrationAligner(StageArtifacts artifacts, String alignmentsTopic, Path scratchRoot) {
        this.artifacts = artifacts;
        this.alignmentsTopic = alignmentsTopic;
        this.scratchRoot = scratchRoot;
    }

    /** The artifact location of a registration. */
    public static String key(String family, UUID registrationId) {
        return "alignments/" + family + "/" + registrationId;
    }

    public static UUID alignmentId(UUID registrationId) {
        return UUID.nameUUIDFromBytes(("alignment:" + registrationId).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public List<Output<SpecificRecord>> run(InputRecord<ModelRegistration> record, JobContext<SpecificRecord> context) throws Exception {
        ModelRegistration reg = record.value();
        long start = System.nanoTime();
        Object outcome;
        try {
            if (reg.getTargetModules().isEmpty()) {
                throw new BadInputException("the registration names no target modules");
            }
            URI target = artifacts.child(artifacts.root(), key(reg.getFamily(), reg.getRegistrationId()));
            AlignmentManifest manifest = alignOrReuse(reg, target, context);
            outcome = ready(target, manifest, (System.nanoTime() - start) / 1_000_000);
        } catch (JobCancelledException e) {
            throw e;
        } catch (Exception e) {
            if (Failures.standard().classify(e, false) == Failures.Verdict.TRANSIENT) {
                throw e;
            }
            AlignmentErrorCode code = AlignmentErrors.code(e);
            if (!definitive(code) && !context.finalAttempt()) {
                throw e; // a disk or an unexpected error may pass: the loop runs the registration again first
            }
            String reason = Failures.describe(e);
            LOG.warn("alignment of {} ({}) failed: {}", reg.getFamily(), reg.getRegistrationId(), reason);
            outcome = AlignmentFailed.newBuilder().setReason(reason).setErrorCode(code).build();
        }
        AlignmentEvent event = AlignmentEvent.newBuilder()
                .setAlignmentId(alignmentId(reg.getRegistrationId()))
                .setRegistrationId(reg.getRegistrationId())
                .setFamily(reg.getFamily())
                .setBaseUri(reg.getBaseUri())
                .setAlignedUri(reg.getAlignedUri())
                .setBaseModelName(reg.getBaseModelName())
                .setTargetModules(reg.getTargetModules())
                .setCompletedAt(Instant.now())
                .setOutcome(outcome)
                .build();
        return List.of(Output.of(alignmentsTopic, reg.getFamily(), event));
    }

    /** A failure the checkpoints themselves cause: running the registration again would fail the same way. */
    private static boolean definitive(AlignmentErrorCode code) {
        return code != AlignmentErrorCode.IO_ERROR && code != AlignmentErrorCode.OTHER;
    }

    /** The alignment stored at {@code target}, computed and stored there first unless it already is. */
    private AlignmentManifest alignOrReuse(ModelRegistration reg, URI target, JobContext<SpecificRecord> context) throws IOException {
        if (artifacts.exists(artifacts.child(target, AlignmentManifest.FILE))) {
            try (AlignmentArtifact stored = AlignmentArtifact.open(artifacts.local(target, "alignment artifact"))) {
                LOG.info("alignment of {} ({}) already stored at {}; reusing it", reg.getFamily(), reg.getRegistrationId(), target);
                return stored.manifest();
            }
        }
        Path base = artifacts.local(artifacts.input(reg.getBaseUri(), "baseUri"), "base checkpoint");
        Path aligned = artifacts.local(artifacts.input(reg.getAlignedUri(), "alignedUri"), "aligned checkpoint");
        Set<String> targets = new LinkedHashSet<>(reg.getTargetModules());
        Path out = scratchRoot.resolve("tmp").resolve(reg.getRegistrationId() + "-" + UUID.randomUUID());
        try {
            AlignmentManifest manifest = Aligner.align(base, aligned, targets, out, Aligner.Options.defaults(),
                    (done, total, module) -> context.checkCancelled());
            artifacts.put(out, target);
            LOG.info("alignment of {} ({}): {} modules stored at {}", reg.getFamily(), reg.getRegistrationId(),
                    manifest.modules().size(), target);
            return manifest;
        } finally {
            FileTrees.deleteQuietly(out);
        }
    }

    private static AlignmentReady ready(URI uri, AlignmentManifest manifest, long durationMs) {
        List<AlignedModule> modules = manifest.modules().stream()
                .map(m -> AlignedModule.newBuilder().setModule(m.name()).setRows(m.rows()).setColumns(m.cols())
                        .setFrobeniusNorm(m.frobeniusNorm()).build())
                .toList();
        return AlignmentReady.newBuilder()
                .setAlignmentUri(uri.toString())
                .setBaseFingerprint(fingerprint(manifest.base()))
                .setAlignedFingerprint(fingerprint(manifest.aligned()))
                .setModules(modules)
                .setDurationMs(durationMs)
                .build();
    }

    /**
     * The content fingerprint of a checkpoint: sha256 over its safetensors files' names and sha256s (as the
     * manifest records them), sorted by name. Independent of where the checkpoint lives, so a moved checkpoint
     * keeps its fingerprint and any change of its weights changes it.
     */
    static String fingerprint(AlignmentManifest.Source source) {
        StringBuilder lines = new StringBuilder();
        source.files().stream().sorted(Comparator.comparing(AlignmentManifest.SourceFile::file))
                .forEach(f -> lines.append(f.file()).append('\t').append(f.sha256()).append('\n'));
        return Digests.sha256Hex(lines.toString());
    }

}
