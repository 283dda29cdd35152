/**
 * SafeLoRA's projection without the m x m matrix {@code C = V V^T / ||V||_F}
 * ({@link dev.safelora.projection.FactoredProjection}): {@code C B = V (V^T B) / ||V||_F} and
 * Frobenius products as r x r traces with {@code G = A A^T}, accumulated in double. Selection
 * follows PEFT's {@code apply_safelora}: cosines rounded to 5 decimals, {@code cos <= tau} projects;
 * top-k takes exactly K (ties by module order, where PEFT's "number" mode may take more on ties).
 * {@link dev.safelora.projection.SubspaceProjection} is an extension beyond the paper.
 */
package dev.safelora.projection;
