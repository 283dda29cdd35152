/**
 * The alignment stage: {@code safelora.model-registrations.v1} in, {@code safelora.alignments.v1} out.
 * For each registration it resolves the base and aligned checkpoints ({@code file://} in place,
 * {@code s3://} through the artifact store's cache), streams them through the
 * {@link dev.safelora.alignment.Aligner}, stores the artifact at
 * {@code <artifacts root>/alignments/<family>/<registration id>} and publishes an
 * {@code AlignmentEvent} keyed by family: {@code AlignmentReady} or {@code AlignmentFailed} with the reason
 * and an error code. See {@link dev.safelora.stage.alignment.AlignmentStage}.
 */
package dev.safelora.stage.alignment;
