/**
 * The planner stage: a Kafka Streams application (exactly-once v2) that keeps alignments, layer-selection
 * policies and published adapters as state and plans training and projection jobs from them.
 *
 * <ul>
 *   <li>{@link dev.safelora.planner.PlannerTopology}: the topology (inputs read as bytes and decoded in the
 *       processors, so bad records become dead letters; requests and adapters re-keyed by family through
 *       repartition topics).</li>
 *   <li>{@code FamilyPlanner}: the decisions (release waiting requests, refresh adapters on a new alignment:
 *       re-projection or re-training, with lineage).</li>
 *   <li>{@code JobFactory}: the jobs, with ids derived from their inputs.</li>
 *   <li>{@code RecordChecks}: what a record must satisfy before it is planned.</li>
 *   <li>{@link dev.safelora.planner.PlannerApp}: the running application with metrics and health, used by
 *       {@code safelora stage planner}.</li>
 * </ul>
 */
package dev.safelora.planner;
