/**
 * What the worker stages (alignment, projector, trainer) share on top of the stage runtime: their
 * settings ({@link dev.safelora.stage.jobs.WorkerSettings}), reading and writing artifacts by URI
 * ({@link dev.safelora.stage.jobs.StageArtifacts}), the Avro selection policy as a projection
 * {@link dev.safelora.projection.Selection} ({@link dev.safelora.stage.jobs.SelectionPolicies}), the
 * adapter and evaluation events built from a projection ({@link dev.safelora.stage.jobs.AdapterEvents}),
 * and the record of what a job published ({@link dev.safelora.stage.jobs.PublishedOutputs}) that keeps a
 * redelivered job from publishing a second adapter.
 */
package dev.safelora.stage.jobs;
