/**
 * The toy model family ({@code safelora toy-family}): a small template language, a base model trained on it with the
 * project's own LoRA trainer (then merged), an aligned sibling trained to refuse harmful requests, and the fine-tune and
 * evaluation sets that show what SafeLoRA does, all from one seed.
 */
package dev.safelora.toy;
