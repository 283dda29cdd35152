/**
 * Merging a PEFT LoRA adapter into the weights of its base model ({@code W + s B A} per module), written as a
 * new Hugging Face model directory: what PEFT's {@code merge_and_unload} followed by {@code save_pretrained} gives.
 */
package dev.safelora.merge;
