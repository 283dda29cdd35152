/**
 * PEFT LoRA adapter directories ({@code adapter_config.json} + {@code adapter_model.safetensors}),
 * read and written the way Hugging Face PEFT does, so {@code PeftModel.from_pretrained} and vLLM
 * load what this project writes. Module names carry no PEFT prefix and sort in natural order
 * ({@link dev.safelora.adapter.ModuleNames}): {@code layers.2} before {@code layers.10}.
 */
package dev.safelora.adapter;
