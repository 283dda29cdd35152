package dev.safelora.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.AlignmentSource;
import dev.safelora.projection.Remedy;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The sweep over a hand-built adapter whose cosines are known, with a scripted evaluator: every module
 * has V = e1 e1^T (so C = diag(1, 0)) and B = (c, s), A = (1, 0), which gives cos = |c|; projection sets
 * B to (c, 0). The evaluator reads the adapter and scores it by how many modules were projected.
 */
class SweepTest {

    static final double[] COSINES = {0.1, 0.4, 0.7, 0.95};

    @TempDir
    Path dir;

    PeftAdapter adapter;
    Path rawDir;
    List<Path> evaluated = new ArrayList<>();

    @BeforeEach
    void adapter() {
        List<LoraWeights> ws = new ArrayList<>();
        for (int layer = 0; layer < COSINES.length; layer++) {
            double c = COSINES[layer];
            ws.add(new LoraWeights(module(layer), 1, 2, 2, new float[] {1, 0}, new float[] {(float) c, (float) Math.sqrt(1 - c * c)}));
        }
        adapter = PeftAdapter.of(new LoraConfig(1, 2, false, List.of("q_proj"), 0, "tiny", false), ws);
        rawDir = dir.resolve("raw");
        adapter.write(rawDir);
    }

    static String module(int layer) {
        return "model.layers." + layer + ".self_attn.q_proj";
    }

    /** refusal 0.2 + 0.2 per projected module, task 0.9 - 0.1 per projected module; the model alone: 1.0 and 0.5. */
    Metrics score(Path adapterDir) {
        evaluated.add(adapterDir);
        if (adapterDir == null) {
            return new Metrics(1.0, 0.0, 0.5, null);
        }
        long projected = PeftAdapter.read(adapterDir).modules().values().stream().filter(w -> w.b()[1] == 0).count();
        return new Metrics(0.2 + 0.2 * projected, 0.8 - 0.2 * projected, 0.9 - 0.1 * projected, null);
    }

    static AlignmentSource alignment() {
        dev.safelora.testsupport.MapAlignment alignment = new dev.safelora.testsupport.MapAlignment();
        for (int layer = 0; layer < COSINES.length; layer++) {
            alignment.put(module(layer), 2, 2, 1, 0, 0, 0);
        }
        return alignment;
    }

    SweepResult sweep() {
        return new Sweep(this::score, Remedy.PROJECT, 0).run(adapter, rawDir, alignment(),
                List.of(SweepSetting.topK(0), SweepSetting.topK(2), SweepSetting.topK(4), SweepSetting.threshold(0.5),
                        SweepSetting.threshold(0.8)), dir.resolve("out"), (done, total) -> { });
    }

    @Test
    void eachSettingIsProjectedAndEachDistinctModuleSetEvaluatedOnce() {
        SweepResult r = sweep();
        assertThat(r.remedy()).isEqualTo("project");
        assertThat(r.modules()).isEqualTo(4);
        assertThat(r.aligned().refusalRate()).isEqualTo(1.0);
        assertThat(r.raw().refusalRate()).isCloseTo(0.2, within(1e-12));
        assertThat(r.points()).extracting(SweepResult.Point::projectedCount).containsExactly(0, 2, 4, 2, 3);
        assertThat(r.points().get(1).projectedModules()).containsExactly(module(0), module(1));
        assertThat(r.points().get(3).projectedModules()).as("tau 0.5 selects the same modules as K = 2").containsExactly(module(0), module(1));
        double[] expected = {0.2, 0.6, 1.0, 0.6, 0.8};
        for (int i = 0; i < expected.length; i++) {
            assertThat(r.points().get(i).metrics().refusalRate()).isCloseTo(expected[i], within(1e-9));
        }
        assertThat(r.points().get(0).adapter()).as("nothing projected is the raw adapter").isNull();
        assertThat(r.points().get(3).adapter()).isEqualTo(r.points().get(1).adapter()).isEqualTo("top-k-2");
        // model alone, raw adapter, and the module sets of K = 2, K = 4 and tau 0.8: five evaluations, not seven
        assertThat(evaluated).hasSize(5);
    }

    @Test
    void aTopKBeyondTheAdapterFailsBeforeAnythingIsEvaluated() {
        assertThatThrownBy(() -> new Sweep(this::score, Remedy.PROJECT, 0).run(adapter, rawDir, alignment(),
                List.of(SweepSetting.topK(2), SweepSetting.topK(8)), dir.resolve("out"), (done, total) -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("top-k asks for 8 modules but the adapter has 4");
        assertThat(evaluated).isEmpty();
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void theTopKPlotHasEveryPointWhereItsValuesSay() throws Exception {
        SweepResult r = sweep();
        Document svg = parse(TradeoffPlot.svg(r, TradeoffPlot.Axis.TOP_K));
        List<Element> circles = elements(svg, "circle").stream().filter(e -> e.getAttribute("class").equals("point")).toList();
        assertThat(circles).hasSize(6); // K = 0, 2, 4 for two series
        double plotLeft = TradeoffPlot.LEFT;
        double plotRight = TradeoffPlot.WIDTH - TradeoffPlot.RIGHT;
        double plotBottom = TradeoffPlot.HEIGHT - TradeoffPlot.BOTTOM;
        double plotTop = TradeoffPlot.TOP;
        Map<String, List<double[]>> bySeries = new TreeMap<>();
        for (Element c : circles) {
            double x = Double.parseDouble(c.getAttribute("data-x"));
            double y = Double.parseDouble(c.getAttribute("data-y"));
            assertThat(Double.parseDouble(c.getAttribute("cx"))).isCloseTo(plotLeft + x / 4 * (plotRight - plotLeft), within(0.01));
            assertThat(Double.parseDouble(c.getAttribute("cy"))).isCloseTo(plotBottom - y * (plotBottom - plotTop), within(0.01));
            bySeries.computeIfAbsent(c.getAttribute("data-series"), k -> new ArrayList<>()).add(new double[] {x, y});
        }
        assertThat(bySeries.get("refusal rate")).extracting(p -> p[0] + ":" + p[1]).containsExactly("0.0:0.2", "2.0:0.6", "4.0:1.0");
        assertThat(bySeries.get("task accuracy")).extracting(p -> p[0] + ":" + p[1]).containsExactly("0.0:0.9", "2.0:0.7", "4.0:0.5");
        List<String> references = elements(svg, "line").stream().filter(e -> e.getAttribute("class").equals("reference"))
                .map(e -> e.getAttribute("data-series") + "/" + e.getAttribute("data-reference") + "=" + e.getAttribute("data-y")).toList();
        assertThat(references).containsExactlyInAnyOrder("refusal rate/aligned=1", "refusal rate/raw=0.2",
                "task accuracy/aligned=0.5", "task accuracy/raw=0.9");
        List<String> labels = elements(svg, "text").stream().map(Element::getTextContent).toList();
        assertThat(labels).contains("modules projected (K)", "rate (refusal on harmful prompts, task accuracy)", "0", "4", "1");
    }

    @Test
    void theThresholdPlotSpansTheCosineRange() throws Exception {
        Document svg = parse(TradeoffPlot.svg(sweep(), TradeoffPlot.Axis.THRESHOLD));
        List<Element> refusal = elements(svg, "circle").stream().filter(e -> e.getAttribute("data-series").equals("refusal rate")).toList();
        assertThat(refusal).extracting(e -> e.getAttribute("data-x")).containsExactly("0.5", "0.8");
        double plotLeft = TradeoffPlot.LEFT;
        double plotRight = TradeoffPlot.WIDTH - TradeoffPlot.RIGHT;
        // the x axis runs over [-1, 1]: tau 0.5 sits three quarters of the way
        assertThat(Double.parseDouble(refusal.get(0).getAttribute("cx"))).isCloseTo(plotLeft + 0.75 * (plotRight - plotLeft), within(0.01));
        assertThat(elements(svg, "text").stream().map(Element::getTextContent)).contains("-1", "1");
        assertThat(TradeoffPlot.svg(new SweepResult("zero", 4, null, null, List.of()), TradeoffPlot.Axis.TOP_K)).isNull();
    }

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Element> elements(Document d, String name) {
        NodeList nodes = d.getElementsByTagNameNS("http://www.w3.org/2000/svg", name);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add((Element) nodes.item(i));
        }
        return out;
    }
}
