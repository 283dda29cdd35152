/**
 * Llama-family decoders (Llama 2/3, Mistral, Qwen2) on libtorch, with LoRA.
 *
 * <p>Typical use by a trainer:
 * <pre>{@code
 * CausalLm model = CausalLm.load(dir, ComputeDevice.parse("cuda"));      // frozen weights, fp32 CPU / bf16 CUDA
 * model.addTrainableLora(Adapters.spec(loraConfig, seed));                 // A ~ U(+-1/sqrt(in)), B = 0
 * List<Tensor> params = model.trainableParameters();                      // hand to AdamW
 * CausalLm.seed(seed);                                                     // dropout
 * model.train();
 * try (PointerScope step = new PointerScope()) {                           // one scope per step
 *     Tensor logits = model.forward(inputIds, attentionMask);              // [B, T, V] fp32, autograd
 *     Tensor loss = CausalLmLoss.shiftedCrossEntropy(logits, labels);      // labels -100 = ignored
 *     loss.backward();
 *     ... optimizer step, zero grads ...
 * }
 * model.eval();
 * Adapters.export(model, loraConfig).write(outDir);                        // PEFT directory
 * }</pre>
 *
 * <p>Weights come from {@code model.safetensors} (or shards) through {@link dev.safelora.tensor.Checkpoint};
 * {@link TinyModels} writes small random models for tests and the demo.
 */
package dev.safelora.model;
