package dev.safelora.audit.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.audit.LedgerFixture;
import dev.safelora.audit.ledger.AuditDatabase;
import dev.safelora.stage.StageHttpServer;
import dev.safelora.stage.StageMetrics;
import dev.safelora.testkit.SharedCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The audit pages in a real browser (headless Chromium driven by Selenium), served by the stage's HTTP server from
 * a known ledger: the plots are there and carry the numbers the events held. Screenshots go to target/.
 * Skipped, saying so, only where Chromium and its driver are not installed.
 */
class AuditPagesBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    static Path dir;
    static StageHttpServer server;
    static ChromeDriver browser;

    @BeforeAll
    static void serve() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "Chromium is not installed (apt-get install -y chromium chromium-driver): browser test skipped");
        Path run = dir.resolve("run");
        Files.createDirectories(run.resolve("training"));
        Files.writeString(run.resolve("report.json"), """
                {"training": {"steps": 3, "final_loss": 1.25},
                 "projection": {"modules": [
                   {"name": "model.layers.0.self_attn.q_proj", "layer": 0, "distance": 1.0},
                   {"name": "model.layers.1.self_attn.q_proj", "layer": 1, "distance": 3.0}]}}
                """);
        Files.writeString(run.resolve("training").resolve("training_log.jsonl"), """
                {"step": 1, "loss": 2.5, "lr": 0.0001}
                {"step": 2, "loss": 1.75, "lr": 0.0002}
                {"step": 3, "loss": 1.25, "lr": 0.0001}
                """);
        AuditDatabase db = AuditDatabase.of("jdbc:sqlite:" + dir.resolve("audit.db"));
        LedgerFixture.write(db, SharedCluster.get().registryClient(), run.resolve("report.json").toUri().toString());
        server = StageHttpServer.start(0, new StageMetrics());
        server.route(AuditPages.PATH, new AuditPages(db));
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toString())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,1800");
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build(), options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    private String url(String page) {
        return "http://localhost:" + server.port() + AuditPages.PATH + page;
    }

    @Test
    void theAdapterReportShowsItsPlotsAndNumbers() throws Exception {
        browser.get(url("adapter/ad-2"));
        assertThat(browser.findElement(By.id("adapter-id")).getText()).isEqualTo("ad-2");
        List<WebElement> bars = browser.findElements(By.cssSelector("#cosine-chart rect.bar"));
        assertThat(bars).extracting(b -> b.getAttribute("data-cosine")).containsExactly("0.875", "0.125");
        assertThat(browser.findElements(By.cssSelector("#cosine-chart rect.projected"))).singleElement()
                .extracting(b -> b.getAttribute("data-module")).isEqualTo("model.layers.1.self_attn.q_proj");
        assertThat(browser.findElement(By.id("threshold")).getAttribute("data-threshold")).isEqualTo("0.5");
        // the threshold line sits at cos = 0.5 on the 0..1 axis: halfway between the bars' zero and full width
        double zero = Double.parseDouble(bars.get(0).getAttribute("x"));
        double full = zero + Double.parseDouble(bars.get(0).getAttribute("width")) / 0.875;
        assertThat(Double.parseDouble(browser.findElement(By.id("threshold")).getAttribute("x1"))).isCloseTo((zero + full) / 2,
                org.assertj.core.data.Offset.offset(0.2));
        // per-layer Pdst from report.json: 1/(1+1) and 1/(1+3)
        assertThat(browser.findElements(By.cssSelector("#pdst-chart rect.bar"))).extracting(b -> b.getAttribute("data-value"))
                .containsExactly("0.5", "0.25");
        assertThat(browser.findElements(By.cssSelector("#loss-chart path.series"))).hasSize(1);
        assertThat(browser.findElements(By.cssSelector("#loss-chart circle"))).hasSize(3);
        assertThat(browser.findElement(By.id("loss-chart")).getText()).contains("optimizer step").contains("nats per token");
        assertThat(browser.findElements(By.cssSelector("#lr-chart path.series"))).hasSize(1);
        String metrics = browser.findElement(By.id("metrics")).getText();
        assertThat(metrics).contains("attack_success_rate 0.4 0.3").contains("accuracy 0.8 0.78");
        assertThat(browser.findElements(By.cssSelector("#metrics-chart rect.raw"))).extracting(b -> b.getAttribute("data-value"))
                .contains("0.4");
        assertThat(browser.findElement(By.id("lineage")).getText()).contains("ad-0").contains("ad-1").contains("ad-2 (this)");
        assertThat(browser.findElement(By.id("inputs")).getText()).contains("b".repeat(64)).contains(LedgerFixture.ALIGNMENT_ID.toString());
        screenshot("audit-adapter-report.png");
    }

    @Test
    void theFamilyPagePlotsEveryVersionAndTheLineage() throws Exception {
        browser.get(url(""));
        browser.findElement(By.linkText("fam")).click();
        assertThat(browser.findElement(By.id("family")).getText()).isEqualTo("fam");
        assertThat(browser.findElements(By.cssSelector("#family-chart path.series"))).extracting(p -> p.getAttribute("data-series"))
                .containsExactly("attack_success_rate, raw", "attack_success_rate, projected", "accuracy, raw", "accuracy, projected");
        assertThat(browser.findElements(By.cssSelector("#family-chart circle"))).hasSize(12);
        assertThat(browser.findElement(By.id("adapters")).getText()).contains("0.6 → 0.1").contains("0.5 → 0.2").contains("0.4 → 0.3");
        assertThat(browser.findElements(By.cssSelector("#lineage-graph rect"))).hasSize(3);
        assertThat(browser.findElements(By.cssSelector("#lineage-graph line"))).hasSize(2);
        assertThat(browser.findElement(By.id("alignment")).getText()).contains(LedgerFixture.ALIGNMENT_ID.toString());
        screenshot("audit-family-page.png");
        browser.findElement(By.linkText("ad-1")).click();
        assertThat(browser.findElement(By.id("adapter-id")).getText()).isEqualTo("ad-1");
    }

    @Test
    void thePagesAreReadOnlyAndUnknownOnesAre404() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(url("adapter/ad-1")))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(url("adapter/nope"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("no adapter nope in the audit ledger\n");
    }

    private static void screenshot(String name) throws Exception {
        Path target = Path.of("target", "screenshots");
        Files.createDirectories(target);
        Files.write(target.resolve(name), browser.getScreenshotAs(OutputType.BYTES));
    }
}
