/**
 * Admitting a GPU node: the exact training step and greedy decoding on a reference device (fp32 CPU) and on the
 * candidate (the GPU in bf16), compared within stated tolerances ({@code safelora gpu-check}).
 */
package dev.safelora.devicecheck;
