/**
 * The trainer stage: {@code safelora.training-jobs.v1} in; trains, projects and evaluates a LoRA adapter
 * per job and publishes {@code AdapterPublished}, {@code EvaluationCompleted} and
 * {@code TrainingProgress} events. See {@link dev.safelora.stage.trainer.TrainerStage} for the delivery
 * guarantees and {@link dev.safelora.stage.trainer.TrainingJobRunner} for the store layout.
 */
package dev.safelora.stage.trainer;
