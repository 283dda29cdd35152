package dev.safelora.planner;

import java.util.List;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.serde.AvroSerdes;

/**
 * The planner's state stores (persistent, changelogged, so a restart or a moved task resumes exactly).
 * Keys are strings; composite keys are {@code <family>\0<id>} so a prefix scan lists one family.
 *
 * <table>
 *   <caption>stores</caption>
 *   <tr><th>store</th><th>key</th><th>value</th></tr>
 *   <tr><td>{@value #ALIGNMENTS}</td><td>family</td><td>the family's latest READY alignment</td></tr>
 *   <tr><td>{@value #ALIGNMENT_HISTORY}</td><td>alignment id</td><td>every READY alignment seen (fingerprints of old versions)</td></tr>
 *   <tr><td>{@value #POLICIES}</td><td>family</td><td>the family's layer-selection policy</td></tr>
 *   <tr><td>{@value #WAITING}</td><td>family\0request id</td><td>requests waiting for their family's alignment</td></tr>
 *   <tr><td>{@value #PLANNED}</td><td>request id</td><td>requests turned into training jobs (kept for re-training)</td></tr>
 *   <tr><td>{@value #FAMILY_ADAPTERS}</td><td>family\0adapter id</td><td>the family's latest adapters: heads of their lineages</td></tr>
 *   <tr><td>{@value #REFRESHING}</td><td>adapter id</td><td>alignment id of the refresh job planned for that adapter (or of its successor): the adapter is superseded or about to be, so it is not refreshed again and a late copy of it plans nothing</td></tr>
 *   <tr><td>{@value #ADAPTER_SELECTIONS}</td><td>adapter id</td><td>the last ADAPTER-scoped selection planned for that adapter (a replay plans nothing)</td></tr>
 *   <tr><td>{@value #REQUESTS}</td><td>request id</td><td>every training request accepted (partitioned by request id): replays and reused ids</td></tr>
 *   <tr><td>{@value #ADAPTERS}</td><td>adapter id</td><td>every published adapter (partitioned by adapter id)</td></tr>
 * </table>
 */
final class PlannerStores {

    static final String ALIGNMENTS = "planner-alignments";
    static final String ALIGNMENT_HISTORY = "planner-alignment-history";
    static final String POLICIES = "planner-family-policies";
    static final String WAITING = "planner-waiting-requests";
    static final String PLANNED = "planner-planned-requests";
    static final String FAMILY_ADAPTERS = "planner-family-adapters";
    static final String REFRESHING = "planner-refreshing";
    static final String ADAPTERS = "planner-adapters";
    static final String REQUESTS = "planner-requests";
    static final String ADAPTER_SELECTIONS = "planner-adapter-selections";

    private PlannerStores() {
    }

    static String familyKey(String family, String id) {
        return family + '\u0000' + id;
    }

    static String familyPrefix(String family) {
        return family + '\u0000';
    }

    static List<StoreBuilder<?>> builders(SchemaRegistryClient registry) {
        Serde<AlignmentEvent> alignments = AvroSerdes.specific(AlignmentEvent.class, registry);
        Serde<TrainingRequest> requests = AvroSerdes.specific(TrainingRequest.class, registry);
        Serde<AdapterPublished> adapters = AvroSerdes.specific(AdapterPublished.class, registry);
        Serde<LayerSelection> selections = AvroSerdes.specific(LayerSelection.class, registry);
        return List.of(
                store(ALIGNMENTS, alignments),
                store(ALIGNMENT_HISTORY, alignments),
                store(POLICIES, selections),
                store(WAITING, requests),
                store(PLANNED, requests),
                store(FAMILY_ADAPTERS, adapters),
                store(REFRESHING, Serdes.String()),
                store(ADAPTERS, adapters),
                store(REQUESTS, requests),
                store(ADAPTER_SELECTIONS, selections));
    }

    private static <V> StoreBuilder<KeyValueStore<String, V>> store(String name, Serde<V> values) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), values);
    }
}
