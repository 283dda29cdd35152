/**
 * Safetensors I/O, pure Java: {@link dev.safelora.tensor.SafetensorsFile} validates a whole header
 * before any use (length bounds, strict JSON, dtypes, shape x size = byte range, offsets inside the
 * data area, no overlaps, no gaps, string metadata) and reads one tensor at a time;
 * {@link dev.safelora.tensor.Checkpoint} adds Hugging Face model directories (single file or shards
 * through {@code model.safetensors.index.json}) and refuses pickle weights;
 * {@link dev.safelora.tensor.SafetensorsWriter} and {@link dev.safelora.tensor.SafetensorsStreamWriter}
 * write files the reference library reads (the latter for outputs larger than memory).
 */
package dev.safelora.tensor;
