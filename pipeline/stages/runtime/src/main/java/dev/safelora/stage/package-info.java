/**
 * The runtime every pipeline stage stands on: Kafka consume-process-produce loops with dead-lettering,
 * retries, metrics and health.
 *
 * <h2>Wiring a stage</h2>
 * <pre>{@code
 * StageConfig config = StageConfig.load("alignment", List.of(Topic.MODEL_REGISTRATIONS.topicName()),
 *         configFileOrNull, System.getenv());
 * HttpSchemaRegistryClient registry = config.client().registryClient();
 * StageMetrics metrics = new StageMetrics();
 *
 * // short work: RecordLoop + RecordHandler
 * RecordLoop<ModelRegistration, SpecificRecord> loop = new RecordLoop<>(config,
 *         AvroDeserializer.specific(registry, ModelRegistration.class),
 *         new AvroSerializer<>(registry, true),
 *         record -> List.of(Output.of(Topic.ALIGNMENTS.topicName(), record.key(), align(record.value()))),
 *         metrics);
 *
 * // long work (trainer): LongJobLoop + LongJob, the same way
 * LongJobLoop<TrainingJob, SpecificRecord> trainer = new LongJobLoop<>(config, deserializer, serializer,
 *         (record, ctx) -> { ... ctx.checkCancelled(); ctx.publish(progress); ... return outputs; }, metrics);
 *
 * StageProcess.run(config, metrics, loop);            // a `safelora stage <name>` process
 * // or: StageProcess p = StageProcess.start(config.withMetricsPort(0), metrics, loop); ... p.close();  // the demo
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>At-least-once, without transactions: an offset is committed only after the record's outputs (or its
 *       dead letter) are acknowledged by the broker ({@code acks=all}, idempotent producer). A crash between
 *       the two redoes the record, so handlers and jobs must produce idempotent outputs: the same key and
 *       content for the same input, deterministic artifact paths ({@link dev.safelora.artifacts.ArtifactStore}
 *       puts of identical content are no-ops).</li>
 *   <li>Bad input (undecodable bytes, unknown schema id, {@link dev.safelora.stage.BadInputException}) goes
 *       to {@code <topic>.dlq} with the original key, value and headers plus {@code safelora.dlq.*} headers
 *       ({@link dev.safelora.stage.DeadLetters}); the loop moves on.</li>
 *   <li>Transient failures (broker, registry or store unavailable; {@link dev.safelora.stage.TransientException})
 *       pause only the affected partition and retry it with exponential backoff; unexpected exceptions are
 *       retried {@code stage.max.attempts} times, then dead-lettered. See {@link dev.safelora.stage.Failures}.</li>
 *   <li>Long jobs run on a worker thread while the loop keeps polling, so {@code max.poll.interval.ms} never
 *       limits their length; a revoked partition's job is cancelled cooperatively and redone by the new
 *       owner; shutdown finishes jobs within {@code stage.shutdown.deadline}, else cancels them
 *       ({@link dev.safelora.stage.JobContext.CancelReason#SHUTDOWN}: checkpoint and return).</li>
 *   <li>{@code /metrics} (Prometheus) and {@code /health} on {@code stage.metrics.port} (default 9404).</li>
 * </ul>
 */
package dev.safelora.stage;
