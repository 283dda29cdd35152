package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.Aligner;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.alignment.AlignmentMatrix;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.alignment.CheckpointPair;
import dev.safelora.alignment.Progress;
import dev.safelora.tensor.DType;
import dev.safelora.testsupport.NaiveSafeLora;
import dev.safelora.testsupport.TinyCheckpoints;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeLoraProjectorTest {

    static final List<String> ALL = List.copyOf(TinyCheckpoints.SHAPES.keySet());
    static final int LAYERS = 12;

    @TempDir
    Path dir;

    Path base;
    Path aligned;

    @BeforeEach
    void pair() {
        base = dir.resolve("base");
        aligned = dir.resolve("aligned");
        TinyCheckpoints.writePair(base, aligned, LAYERS, 11, DType.BF16);
    }

    private CheckpointPair open(Set<String> targets) {
        return CheckpointPair.open(base, aligned, targets);
    }

    /** Cosines computed the naive way (explicit C), keyed by module name. */
    private Map<String, Double> naiveCosines(PeftAdapter adapter, AlignmentSource source) {
        return adapter.modules().values().stream().collect(Collectors.toMap(LoraWeights::module, w -> {
            AlignmentMatrix v = source.load(w.module());
            return NaiveSafeLora.cosine(v.v(), v.rows(), v.cols(), w.b(), w.a(), w.r());
        }));
    }

    @Test
    void thresholdSelectionMatchesTheNaiveComputationOnTwelveLayersWithGqaAndMlp() {
        PeftAdapter adapter = TinyCheckpoints.adapter(LAYERS, ALL, 4, 3, false);
        try (CheckpointPair pair = open(Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"))) {
            Map<String, Double> naive = naiveCosines(adapter, pair);
            double tau = naive.values().stream().sorted().toList().get(naive.size() / 2); // about half are projected
            SafeLoraProjector.Result result = SafeLoraProjector.project(adapter, pair, Selection.threshold(tau), Progress.NONE);
            assertThat(result.report().modules()).hasSize(LAYERS * ALL.size());
            double dsum = 0;
            for (ModuleResult r : result.report().modules()) {
                LoraWeights w = adapter.modules().get(r.name());
                assertThat(r.exactCosine()).as(r.name()).isCloseTo(naive.get(r.name()), within(1e-9));
                assertThat(r.projected()).as(r.name()).isEqualTo(Math.rint(naive.get(r.name()) * 1e5) / 1e5 <= tau);
                assertThat(r.layer()).isEqualTo(Integer.parseInt(r.name().split("\\.")[2]));
                AlignmentMatrix v = pair.load(r.name());
                double[] cb = NaiveSafeLora.cb(v.v(), v.rows(), v.cols(), w.b(), w.r());
                float[] finalB = result.adapter().modules().get(r.name()).b();
                double dist = 0;
                for (int i = 0; i < cb.length; i++) {
                    double expected = r.projected() ? (float) cb[i] : w.b()[i];
                    assertThat((double) finalB[i]).isCloseTo(expected, within(1e-6 * (1 + Math.abs(expected))));
                    dist += (w.b()[i] - cb[i]) * (w.b()[i] - cb[i]);
                }
                assertThat(r.distance()).isCloseTo(r.projected() ? 0 : Math.sqrt(dist), within(1e-9));
                dsum += 1 / (1 + (r.projected() ? 0 : Math.sqrt(dist)));
                assertThat(result.adapter().modules().get(r.name()).a()).isSameAs(w.a());
                assertThat(r.alignmentNorm()).isCloseTo(v.frobeniusNorm(), within(1e-12));
            }
            assertThat(result.report().pdst()).isCloseTo(dsum / result.report().modules().size(), within(1e-12));
            assertThat(result.report().projectedCount()).isEqualTo((int) result.report().modules().stream().filter(ModuleResult::projected).count());
            assertThat(result.report().projectedCount()).isBetween(1, LAYERS * ALL.size() - 1);
        }
    }

    @Test
    void matchesByNameNotPosition() throws Exception {
        // The adapter covers q_proj of layers 2, 10 and 11 only; the alignment covers all 12 layers.
        PeftAdapter full = TinyCheckpoints.adapter(LAYERS, List.of("self_attn.q_proj"), 2, 5, false);
        List<LoraWeights> subset = new ArrayList<>();
        for (int layer : new int[] {11, 2, 10}) {
            subset.add(full.modules().get(TinyCheckpoints.module(layer, "self_attn.q_proj")));
        }
        PeftAdapter adapter = PeftAdapter.of(full.config(), subset);
        Path artifact = dir.resolve("alignment");
        Aligner.align(base, aligned, Set.of("q_proj"), artifact, Aligner.Options.defaults(), Progress.NONE);
        try (AlignmentArtifact source = AlignmentArtifact.open(artifact); CheckpointPair pair = open(Set.of("q_proj"))) {
            Map<String, Double> naive = naiveCosines(adapter, pair);
            SafeLoraProjector.Result viaArtifact = SafeLoraProjector.project(adapter, source, Selection.threshold(2), Progress.NONE);
            SafeLoraProjector.Result viaPair = SafeLoraProjector.project(adapter, pair, Selection.threshold(2), Progress.NONE);
            assertThat(viaArtifact.report().modules()).extracting(ModuleResult::name).containsExactly(
                    "model.layers.2.self_attn.q_proj", "model.layers.10.self_attn.q_proj", "model.layers.11.self_attn.q_proj");
            for (ModuleResult r : viaArtifact.report().modules()) {
                assertThat(r.exactCosine()).isCloseTo(naive.get(r.name()), within(1e-9));
                assertThat(r.projected()).isTrue();
            }
            assertThat(viaPair.report()).isEqualTo(viaArtifact.report());
        }
    }

    @Test
    void topKProjectsExactlyTheKLowestWithTiesByModuleOrder() {
        PeftAdapter adapter = TinyCheckpoints.adapter(LAYERS, List.of("self_attn.q_proj", "self_attn.v_proj"), 2, 9, false);
        try (CheckpointPair pair = open(Set.of("q_proj", "v_proj"))) {
            Map<String, Double> naive = naiveCosines(adapter, pair);
            SafeLoraProjector.Result result = SafeLoraProjector.project(adapter, pair, Selection.topK(5), Progress.NONE);
            List<String> expected = naive.entrySet().stream().sorted(Map.Entry.comparingByValue()).limit(5).map(Map.Entry::getKey).toList();
            assertThat(result.report().modules().stream().filter(ModuleResult::projected).map(ModuleResult::name))
                    .containsExactlyInAnyOrderElementsOf(expected);
            assertThat(result.report().topK()).isEqualTo(5);
            assertThat(result.report().threshold()).isNull();
        }
        // identical modules tie: the earlier ones in module order win
        LoraWeights one = adapter.modules().values().iterator().next();
        List<LoraWeights> twins = new ArrayList<>();
        for (int layer : new int[] {10, 1, 2}) {
            twins.add(new LoraWeights(TinyCheckpoints.module(layer, "self_attn.q_proj"), one.r(), one.in(), one.out(), one.a(), one.b()));
        }
        AlignmentSource same = new FixedAlignment(TinyCheckpoints.gaussian(new java.util.Random(1), one.out() * one.in(), 1), one.out(), one.in());
        SafeLoraProjector.Result tied = SafeLoraProjector.project(PeftAdapter.of(adapter.config(), twins), same, Selection.topK(2), Progress.NONE);
        assertThat(tied.report().modules()).extracting(ModuleResult::name, ModuleResult::projected).containsExactly(
                org.assertj.core.groups.Tuple.tuple("model.layers.1.self_attn.q_proj", true),
                org.assertj.core.groups.Tuple.tuple("model.layers.2.self_attn.q_proj", true),
                org.assertj.core.groups.Tuple.tuple("model.layers.10.self_attn.q_proj", false));
    }

    @Property(tries = 8)
    void topKAlwaysProjectsExactlyK(@ForAll @IntRange(min = 0, max = 8) int k, @ForAll @IntRange(min = 1, max = 1000) int seed) {
        PeftAdapter adapter = TinyCheckpoints.adapter(4, List.of("self_attn.k_proj", "mlp.down_proj"), 1, seed, seed % 2 == 0);
        AlignmentSource fixed = new FixedAlignment(TinyCheckpoints.gaussian(new java.util.Random(seed), 64 * 96, 1), 0, 0);
        SafeLoraProjector.Result r = SafeLoraProjector.project(adapter, fixed, Selection.topK(k), Progress.NONE);
        assertThat(r.report().modules().stream().filter(ModuleResult::projected).count()).isEqualTo(k);
        assertThat(r.report().projectedCount()).isEqualTo(k);
        assertThat(r.report().modules()).allSatisfy(m -> assertThat(m.cosine()).isBetween(-1.0, 1.0));
    }

    @Test
    void explicitSelectionByLayersOrNames() {
        PeftAdapter adapter = TinyCheckpoints.adapter(LAYERS, List.of("self_attn.q_proj", "self_attn.v_proj"), 2, 4, false);
        try (CheckpointPair pair = open(Set.of("q_proj", "v_proj"))) {
            SafeLoraProjector.Result byLayer = SafeLoraProjector.project(adapter, pair, Selection.layers(Set.of(0, 10)), Progress.NONE);
            assertThat(byLayer.report().modules().stream().filter(ModuleResult::projected).map(ModuleResult::name)).containsExactly(
                    "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                    "model.layers.10.self_attn.q_proj", "model.layers.10.self_attn.v_proj");
            assertThat(byLayer.report().layers()).containsExactly(0, 10);
            SafeLoraProjector.Result byName = SafeLoraProjector.project(adapter, pair,
                    Selection.modules(Set.of("model.layers.3.self_attn.v_proj")), Progress.NONE);
            assertThat(byName.report().modules().stream().filter(ModuleResult::projected).map(ModuleResult::name))
                    .containsExactly("model.layers.3.self_attn.v_proj");
            assertThatThrownBy(() -> SafeLoraProjector.project(adapter, pair, Selection.layers(Set.of(12, 40)), Progress.NONE))
                    .hasMessageContaining("selected layers with no adapter module: [12, 40]");
            assertThatThrownBy(() -> SafeLoraProjector.project(adapter, pair, Selection.modules(Set.of("model.layers.3.mlp.up_proj")), Progress.NONE))
                    .hasMessageContaining("not in the adapter: model.layers.3.mlp.up_proj");
        }
    }

    @Test
    void rsLoraScalingDoesNotChangeTheSelection() {
        PeftAdapter plain = TinyCheckpoints.adapter(LAYERS, List.of("self_attn.q_proj"), 4, 8, false);
        PeftAdapter rs = TinyCheckpoints.adapter(LAYERS, List.of("self_attn.q_proj"), 4, 8, true);
        assertThat(rs.config().scale()).isNotEqualTo(plain.config().scale());
        try (CheckpointPair pair = open(Set.of("q_proj"))) {
            ProjectionReport a = SafeLoraProjector.project(plain, pair, Selection.threshold(0.5), Progress.NONE).report();
            ProjectionReport b = SafeLoraProjector.project(rs, pair, Selection.threshold(0.5), Progress.NONE).report();
            assertThat(b).isEqualTo(a);
        }
    }

    @Test
    void adapterModulesWithoutAlignmentAreAllListed() {
        PeftAdapter adapter = TinyCheckpoints.adapter(3, List.of("self_attn.q_proj", "self_attn.v_proj", "mlp.up_proj"), 2, 4, false);
        try (CheckpointPair pair = open(Set.of("q_proj"))) {
            assertThatThrownBy(() -> SafeLoraProjector.project(adapter, pair, Selection.threshold(0.5), Progress.NONE))
                    .hasMessageContainingAll("6 adapter module(s) have no alignment",
                            "model.layers.0.mlp.up_proj", "model.layers.2.self_attn.v_proj", "model.layers.1.self_attn.v_proj");
        }
    }

    @Test
    void shapeMismatchAndDoraAreRefused() {
        LoraWeights wrong = new LoraWeights("model.layers.0.self_attn.q_proj", 1, 16, 64, new float[16], new float[64]);
        PeftAdapter adapter = PeftAdapter.of(new LoraConfig(1, 1, false, List.of("q_proj"), 0, null, false), List.of(wrong));
        try (CheckpointPair pair = open(Set.of("q_proj"))) {
            assertThatThrownBy(() -> SafeLoraProjector.project(adapter, pair, Selection.threshold(0.5), Progress.NONE))
                    .hasMessageContainingAll("shapes differ", "LoRA 64x16, alignment 64x64");
            PeftAdapter dora = PeftAdapter.of(new LoraConfig(1, 1, false, List.of("q_proj"), 0, null, true), List.of(wrong));
            assertThatThrownBy(() -> SafeLoraProjector.project(dora, pair, Selection.threshold(0.5), Progress.NONE)).hasMessageContaining("DoRA");
        }
    }

    /** The same V (cropped to each module's shape) for every module; for tie and property tests. */
    static final class FixedAlignment implements AlignmentSource {
        private final float[] values;

        FixedAlignment(float[] values, int ignoredRows, int ignoredCols) {
            this.values = values;
        }

        @Override
        public List<String> modules() {
            return List.of();
        }

        @Override
        public boolean contains(String module) {
            return true;
        }

        @Override
        public dev.safelora.alignment.ModuleShape shape(String module) {
            int[] s = TinyCheckpoints.SHAPES.get(module.substring(module.indexOf('.', "model.layers.".length()) + 1));
            return new dev.safelora.alignment.ModuleShape(s[0], s[1]);
        }

        @Override
        public AlignmentMatrix load(String module) {
            var s = shape(module);
            float[] v = java.util.Arrays.copyOf(values, s.rows() * s.cols());
            return new AlignmentMatrix(module, s.rows(), s.cols(), v, AlignmentMatrix.frobeniusNorm(v));
        }

        @Override
        public void close() {
        }
    }
}
