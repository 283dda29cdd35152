package dev.safelora.requests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.schema.LoraSettings;
import dev.safelora.schema.OptimizerSettings;
import dev.safelora.schema.TrainingRequest;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import net.jqwik.api.constraints.StringLength;

/** Properties of request validation, checked against independent (naive) statements of the rules. */
class RequestPropertiesTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static ObjectNode minimalTraining() {
        ObjectNode root = NODES.objectNode();
        root.put("family", "f");
        root.put("datasetUri", "file:///d");
        root.put("requestedBy", "u");
        return root;
    }

    @Property(tries = 150)
    void validHyperparametersArriveUnchanged(
            @ForAll @IntRange(min = 1, max = 4096) int r,
            @ForAll @DoubleRange(min = 1e-6, max = 1e4) @Scale(8) double alpha,
            @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) @Scale(6) double dropout,
            @ForAll("targetModules") List<String> targets,
            @ForAll boolean rsLora,
            @ForAll @DoubleRange(min = 1e-12, max = 10) @Scale(14) double learningRate,
            @ForAll @IntRange(min = 1, max = 1000) int epochs,
            @ForAll @IntRange(min = 1, max = 4096) int batch,
            @ForAll @IntRange(min = 1, max = 1024) int accumulation,
            @ForAll @IntRange(min = 1, max = RecordRules.MAX_SEQUENCE_LENGTH) int maxLength,
            @ForAll @IntRange(min = 0, max = 100_000) int warmup,
            @ForAll @DoubleRange(min = 0, max = 10) @Scale(6) double weightDecay,
            @ForAll long seed) {
        ObjectNode root = minimalTraining();
        ObjectNode lora = root.putObject("lora");
        lora.put("r", r).put("alpha", alpha).put("dropout", dropout).put("rsLora", rsLora);
        targets.forEach(lora.putArray("targetModules")::add);
        root.putObject("optimizer").put("learningRate", learningRate).put("epochs", epochs).put("batchSize", batch)
                .put("gradientAccumulationSteps", accumulation).put("maxSequenceLength", maxLength)
                .put("warmupSteps", warmup).put("weightDecay", weightDecay).put("seed", seed);

        TrainingRequest value = (TrainingRequest) Requests.reader().read(RequestKind.TRAINING, root.toString(), "p").value();

        assertThat(value.getLora()).isEqualTo(new LoraSettings(r, alpha, dropout, targets, rsLora));
        assertThat(value.getOptimizer())
                .isEqualTo(new OptimizerSettings(learningRate, epochs, batch, accumulation, maxLength, warmup, weightDecay, seed));
    }

    @Provide
    Arbitrary<List<String>> targetModules() {
        return Arbitraries.of(RequestRules.KNOWN_TARGET_MODULES).list().ofMinSize(1).ofMaxSize(7).uniqueElements();
    }

    /** One hyperparameter out of its range: exactly one problem, naming that field. */
    record Violation(String section, String field, Number value) {}

    @Provide
    Arbitrary<Violation> violations() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(Integer.MIN_VALUE, 0).map(v -> new Violation("lora", "r", v)),
                Arbitraries.doubles().between(-1e6, 0).map(v -> new Violation("lora", "alpha", v)),
                Arbitraries.oneOf(Arbitraries.doubles().between(-10, 0).filter(v -> v < 0), Arbitraries.doubles().between(1, 10))
                        .map(v -> new Violation("lora", "dropout", v)),
                Arbitraries.doubles().between(-1, 0).map(v -> new Violation("optimizer", "learningRate", v)),
                Arbitraries.integers().between(-100, 0).map(v -> new Violation("optimizer", "epochs", v)),
                Arbitraries.integers().between(-100, 0).map(v -> new Violation("optimizer", "batchSize", v)),
                Arbitraries.integers().between(-100, 0).map(v -> new Violation("optimizer", "gradientAccumulationSteps", v)),
                Arbitraries.integers().between(-100, 0).map(v -> new Violation("optimizer", "maxSequenceLength", v)),
                Arbitraries.integers().between(Integer.MIN_VALUE, -1).map(v -> new Violation("optimizer", "warmupSteps", v)),
                Arbitraries.doubles().between(-1e3, 0).filter(v -> v < 0).map(v -> new Violation("optimizer", "weightDecay", v)),
                // the upper bounds (issue: r = 2e9, epochs = maxSequenceLength = 2^31-1 were accepted)
                Arbitraries.integers().between(RecordRules.MAX_RANK + 1, Integer.MAX_VALUE).map(v -> new Violation("lora", "r", v)),
                Arbitraries.doubles().between(1e6 + 1, 1e300).map(v -> new Violation("lora", "alpha", v)),
                Arbitraries.integers().between(RecordRules.MAX_EPOCHS + 1, Integer.MAX_VALUE).map(v -> new Violation("optimizer", "epochs", v)),
                Arbitraries.integers().between(RecordRules.MAX_SEQUENCE_LENGTH + 1, Integer.MAX_VALUE)
                        .map(v -> new Violation("optimizer", "maxSequenceLength", v)),
                Arbitraries.integers().between(RecordRules.MAX_BATCH + 1, Integer.MAX_VALUE).map(v -> new Violation("optimizer", "batchSize", v)));
    }

    @Property(tries = 150)
    void anOutOfRangeHyperparameterIsTheOnlyProblemReported(@ForAll("violations") Violation violation) {
        ObjectNode root = minimalTraining();
        ObjectNode section = root.putObject(violation.section());
        if (violation.value() instanceof Integer i) {
            section.put(violation.field(), i);
        } else {
            section.put(violation.field(), violation.value().doubleValue());
        }

        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class,
                () -> Requests.reader().read(RequestKind.TRAINING, root.toString(), "p"));

        assertThat(e).isNotNull();
        assertThat(e.problems()).singleElement().asString()
                .startsWith(violation.section() + "." + violation.field() + ": must be ");
    }

    @Provide
    Arbitrary<String> familyLike() {
        Arbitrary<Character> chars = Arbitraries.of('a', 'z', 'q', '0', '9', '.', '_', '-', 'A', ' ', '/', 'é');
        return Arbitraries.oneOf(
                chars.list().ofMinSize(0).ofMaxSize(70).map(RequestPropertiesTest::join),
                Combinators.combine(Arbitraries.of('a', '7'), Arbitraries.of('a', '.', '-', '_', '3').list().ofMinSize(0).ofMaxSize(66))
                        .as((first, rest) -> first + join(rest)));
    }

    private static String join(List<Character> chars) {
        StringBuilder s = new StringBuilder();
        chars.forEach(s::append);
        return s.toString();
    }

    /** The family rule stated naively: 1 to 64 characters, first [a-z0-9], the rest [a-z0-9._-]. */
    private static boolean naiveFamily(String s) {
        if (s.isEmpty() || s.length() > 64) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            boolean punct = c == '.' || c == '_' || c == '-';
            if (!(alnum || (i > 0 && punct))) {
                return false;
            }
        }
        return true;
    }

    @Property(tries = 300)
    @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
    void familyIsAcceptedExactlyWhenTheNaiveRuleAccepts(@ForAll("familyLike") String family) {
        ObjectNode root = minimalTraining();
        root.put("family", family);

        boolean accepted;
        try {
            Requests.reader().read(RequestKind.TRAINING, root.toString(), "p");
            accepted = true;
        } catch (InvalidRequestException e) {
            accepted = false;
            assertThat(e.problems()).singleElement().asString().startsWith("family: ");
        }
        assertThat(accepted).isEqualTo(naiveFamily(family));
        Statistics.label("accepted").collect(accepted);
        // both outcomes must be well represented, or the property proves little
        Statistics.label("accepted").coverage(c -> {
            c.check(true).percentage(p -> p > 15);
            c.check(false).percentage(p -> p > 15);
        });
    }

    @Property(tries = 100)
    void anyStringValueForAnIntegerFieldIsATypeError(@ForAll @StringLength(max = 12) String text) {
        ObjectNode root = minimalTraining();
        root.putObject("lora").put("r", text);

        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class,
                () -> Requests.reader().read(RequestKind.TRAINING, root.toString(), "p"));

        assertThat(e.problems()).singleElement().asString().startsWith("lora.r: expected an integer, got a string");
    }
}
