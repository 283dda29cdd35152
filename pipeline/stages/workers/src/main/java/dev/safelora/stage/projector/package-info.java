/**
 * The projector stage: {@code safelora.projection-jobs.v1} in; a re-projection of an existing raw adapter
 * under a new selection or alignment, without retraining (CPU is enough). Writes
 * {@code <job outputUri>/projected/} (PEFT adapter + {@code safelora_report.json}) and publishes
 * {@code AdapterPublished} (lineage: the source adapter and the reason) and {@code EvaluationCompleted}
 * (cosines, projected flags, Pdst; no losses or metrics, since nothing is trained or evaluated). See
 * {@link dev.safelora.stage.projector.ProjectorStage}.
 */
package dev.safelora.stage.projector;
