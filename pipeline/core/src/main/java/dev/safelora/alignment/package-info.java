/**
 * SafeLoRA's alignment matrices {@code V = W_aligned - W_base}, computed one target module at a time
 * from two checkpoints ({@link dev.safelora.alignment.CheckpointPair}) and stored as an artifact
 * ({@link dev.safelora.alignment.Aligner}, {@link dev.safelora.alignment.AlignmentArtifact}):
 * {@code alignment.safetensors} plus the {@code alignment.json} manifest.
 */
package dev.safelora.alignment;
