package dev.safelora.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeLoraBenchmarkTest {

    /** The keys benchmarks/safelora_bench.sh reads from bench-safelora's output. */
    private static final String[] SCRIPT_KEYS = {"modules", "layers", "checkpoint_gb", "align_s", "project_s", "project_warmup_s",
        "project_again_s", "project_steady_s", "read_alignment_steady_s", "project_steady_ratio", "early_runs", "steady_runs",
        "project_early_s", "project_early_ratio", "jit_ms_early", "jit_ms_steady", "alignment_dtype", "alignment_gb",
        "read_alignment_s", "read_checkpoints_s",
        "sha256_s", "sha256_parallel_s", "oneshot_s", "align_breakdown_modules", "align_read_convert_s_per_module",
        "align_compute_v_s_per_module", "align_write_s_per_module", "naive_cosine_abs_diff"};

    @TempDir
    Path dir;

    @Test
    void optionsDefaultKvRowsToHiddenAndReuseKeepsTheData() {
        SafeLoraBenchmark.Options o = SafeLoraBenchmark.Options.parse(new String[] {"--layers", "80", "--hidden", "8192", "--dir", "/d"});
        assertThat(o.kvRows()).isEqualTo(8192);
        assertThat(o.keep()).isFalse();
        SafeLoraBenchmark.Options gqa = SafeLoraBenchmark.Options.parse(
                new String[] {"--layers", "80", "--hidden", "8192", "--kv-rows", "1024", "--dir", "/d", "--reuse"});
        assertThat(gqa.kvRows()).isEqualTo(1024);
        assertThat(gqa.keep()).isTrue();
        assertThat(gqa.shapeKey()).isNotEqualTo(o.shapeKey());
    }

    @Test
    void badOptionsAreNamed() {
        assertThatThrownBy(() -> SafeLoraBenchmark.Options.parse(new String[] {"--layers"})).hasMessageContaining("--layers needs a value");
        assertThatThrownBy(() -> SafeLoraBenchmark.Options.parse(new String[] {"--hidden", "4k"})).hasMessageContaining("\"4k\"");
        assertThatThrownBy(() -> SafeLoraBenchmark.Options.parse(new String[] {"--kv-rows", "0"})).hasMessageContaining("positive");
        assertThatThrownBy(() -> SafeLoraBenchmark.Options.parse(new String[] {"--hidden", "32768"})).hasMessageContaining("too large");
        assertThatThrownBy(() -> SafeLoraBenchmark.Options.parse(new String[] {"--reuse"})).hasMessageContaining("--reuse needs --dir");
        assertThatThrownBy(() -> SafeLoraBenchmark.Options.parse(new String[] {"--generate-only"})).hasMessageContaining("needs --dir");
        assertThatThrownBy(() -> SafeLoraBenchmark.Options.parse(new String[] {"--fast"})).hasMessageContaining("unknown benchmark option --fast");
    }

    @Test
    void aTinyGqaRunPrintsEveryKeyTheScriptReadsAndAReuseRunKeepsTheGeneratedFiles() throws Exception {
        String[] args = {"--layers", "2", "--hidden", "64", "--kv-rows", "16", "--rank", "2", "--naive-modules", "2",
            "--breakdown-modules", "3", "--dir", dir.toString(), "--keep"};
        Map<String, String> first = run(args);
        assertThat(first).containsKeys(SCRIPT_KEYS);
        assertThat(first.get("modules")).isEqualTo("4");
        assertThat(first.get("early_runs")).isEqualTo("10-16");
        assertThat(first.get("steady_runs")).isEqualTo("31-40");
        assertThat(first.get("align_breakdown_modules")).isEqualTo("3");
        assertThat(first.get("alignment_dtype")).isEqualTo("BF16");
        // q 64 x 64 and v 16 x 64: the factored cosine equals the naive full-C one on both module shapes
        assertThat(Double.parseDouble(first.get("naive_cosine_abs_diff"))).isLessThan(1e-6);
        Path shard = dir.resolve("base/model-00001-of-00002.safetensors");
        long written = Files.getLastModifiedTime(shard).toMillis();

        String[] reuse = args.clone();
        reuse[reuse.length - 1] = "--reuse";
        Map<String, String> second = run(reuse);
        assertThat(second.get("generate_s")).isEqualTo("0");
        assertThat(Files.getLastModifiedTime(shard).toMillis()).isEqualTo(written);
        assertThat(second.get("align_s")).isNotNull();
    }

    private static Map<String, String> run(String[] args) {
        StringWriter text = new StringWriter();
        SafeLoraBenchmark.run(args, new PrintWriter(text, true));
        Map<String, String> kv = new LinkedHashMap<>();
        text.toString().lines().filter(l -> l.matches("[a-z0-9_]+=\\S+")).forEach(l -> kv.put(l.substring(0, l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        return kv;
    }
}
