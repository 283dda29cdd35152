#!/usr/bin/env python3
"""The table of benchmarks/safelora_bench.sh, from the "run key=value" lines it collects (DIR/logs/results.txt):

    python3 benchmarks/safelora_bench_table.py DIR/logs/results.txt LAYERS HIDDEN KV_ROWS [ELAPSED_S]

Each of issue 16's targets as a ratio with "met" / "NOT met": the ratio is taken within each repeat (Java and numpy
run back to back, so a busy moment of the shared machine affects both) and the table gives the median of those ratios
and their range; times are medians over the repeats. A measuring tool.
"""
import statistics, sys
path, layers, hidden, kv = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
elapsed = int(sys.argv[5]) if len(sys.argv) > 5 else -1
runs = {}
by_run = {}
for line in open(path):
    run, kv_ = line.split(" ", 1)
    key, value = kv_.strip().split("=", 1)
    runs.setdefault(key, []).append(value)
    by_run.setdefault(run, {})[key] = value


def ratio(num, den):
    """Median and range over the repeats of num / den, each a function of one repeat's figures."""
    vals = []
    for figures in by_run.values():
        try:
            vals.append(num(figures) / den(figures))
        except (KeyError, ZeroDivisionError):
            pass
    return (statistics.median(vals), min(vals), max(vals)) if vals else (float("nan"),) * 3


def f(key):
    return lambda figures: float(figures[key])


def spread(r, unit="x"):
    return f"{r[0]:.2f}{unit}" + (f" ({r[1]:.2f}-{r[2]:.2f})" if r[2] > r[1] else "")

def med(key):
    vals = [float(v) for v in runs.get(key, [])]
    return statistics.median(vals) if vals else float("nan")

def one(key, default="?"):
    return runs.get(key, [default])[0]

modules = int(med("modules"))
n = len(runs.get("project_s", []))
print(f"\nSafeLoRA targets, {layers} layers, q {hidden}x{hidden}, v {kv}x{hidden}, {modules} modules; "
      f"medians of {n} repeat(s), Java and numpy alternating; alignment artifact {one('alignment_dtype')} "
      f"({med('alignment_gb'):.2f} GB), checkpoints 2 x {med('checkpoint_gb'):.2f} GB")
rows = []
def row(name, java, other, ratio, target, met):
    rows.append((name, java, other, ratio, target, "met" if met else "NOT met"))

# "new process": the first project in a JVM, its kernels' JIT warm-up included (as `./safelora project` runs it, less the
# JVM's start); "warm": the same project again in that JVM (as a running project stage handles its next adapter, the JIT
# still settling)
jp, npp, jw = med("project_s"), med("numpy_project_s"), med("project_again_s")
r = ratio(f("numpy_project_s"), f("project_s"))
row("project (artifact) vs numpy, new process", f"{jp:.2f} s", f"numpy {npp:.2f} s", spread(r) + " faster", ">= 2x faster", r[0] >= 2)
r = ratio(f("numpy_project_s"), f("project_again_s"))
row("project (artifact) vs numpy, warm", f"{jw:.2f} s", f"numpy {npp:.2f} s", spread(r) + " faster", ">= 2x faster", r[0] >= 2)
ra = med("read_alignment_s")
r = ratio(f("project_s"), f("read_alignment_s"))
row("project vs reading the artifact once, new process", f"{jp:.2f} s", f"read {ra:.2f} s", spread(r), "<= 3x", r[0] <= 3)
r = ratio(f("project_again_s"), f("read_alignment_s"))
row("project vs reading the artifact once, warm", f"{jw:.2f} s", f"read {ra:.2f} s", spread(r), "<= 3x", r[0] <= 3)
# "steady": runs 31-40 in that JVM (steady_runs), each against a read of the artifact right after it; per repeat the median
# of those paired ratios. By then the JIT compiles much less of the code around the kernels (a project stage that has
# handled a few dozen adapters); runs 10-16 (early_runs), while it compiles more, are given for comparison, each window with
# its compilation time. Older logs: the steady row was runs 10-16 (paired) or 10-12 (against the one read-once).
if "project_steady_ratio" in runs:
    js, rs = med("project_steady_s"), med("read_alignment_steady_s")
    r = ratio(f("project_steady_ratio"), lambda figures: 1.0)
    window = f"runs {one('steady_runs')}, JIT {med('jit_ms_steady'):.0f} ms" if "steady_runs" in runs else "runs 10-16"
    row(f"project vs reading the artifact once, steady ({window})", f"{js:.2f} s", f"read {rs:.2f} s", spread(r), "<= 3x",
        r[0] <= 3)
    if "project_early_ratio" in runs:
        r = ratio(f("project_early_ratio"), lambda figures: 1.0)
        rows.append((f"  the same, runs {one('early_runs')} (JIT {med('jit_ms_early'):.0f} ms) (info)",
                     f"{med('project_early_s'):.2f} s", "", spread(r), "-", "-"))
elif "project_steady_s" in runs:
    js = med("project_steady_s")
    r = ratio(f("project_steady_s"), f("read_alignment_s"))
    row("project vs reading the artifact once, steady (runs 10-12)", f"{js:.2f} s", f"read {ra:.2f} s", spread(r), "<= 3x", r[0] <= 3)
os_, rc, sh = med("oneshot_s"), med("read_checkpoints_s"), med("sha256_s")
r = ratio(f("oneshot_s"), lambda x: float(x["read_checkpoints_s"]) + float(x["sha256_s"]))
row("one-shot project vs read + sha256 of both checkpoints", f"{os_:.2f} s", f"read {rc:.2f} s + sha256 {sh:.2f} s",
    spread(r), "<= 1.5x", r[0] <= 1.5)
ja, na = med("align_s"), med("numpy_align_s")
r = ratio(f("numpy_align_s"), f("align_s"))
rows.append(("align vs numpy (info)", f"{ja:.2f} s", f"numpy {na:.2f} s", spread(r) + " faster", "-", "-"))
rss = {k: med(k) for k in ("cli_align_rss_mib", "cli_project_rss_mib", "cli_oneshot_rss_mib")}
if all(v == v for v in rss.values()):
    worst = max(rss.values())
    row("peak RSS, CLI align / project / one-shot (own JVMs)", " / ".join(f"{v:.0f}" for v in rss.values()) + " MiB",
        "", f"max {worst:.0f} MiB", "<= 1024 MiB", worst <= 1024)
else:
    rows.append(("peak RSS, CLI commands", "not run (--no-cli)", "", "", "<= 1024 MiB", "-"))
nrss = max(med("numpy_project_rss_mib"), med("numpy_align_rss_mib"))
rows.append(("peak RSS, bench-safelora process / numpy (info)", f"{med('java_rss_mib'):.0f} MiB", f"numpy {nrss:.0f} MiB", "", "-", "-"))
w = [max(len(r[i]) for r in rows + [("target", "Java", "baseline", "ratio", "goal", "")]) for i in range(6)]
print(" | ".join(h.ljust(w[i]) for i, h in enumerate(("target", "Java", "baseline", "ratio", "goal", ""))))
for r in rows:
    print(" | ".join(c.ljust(w[i]) for i, c in enumerate(r)))
print(f"\nper module ({modules}): align {ja / modules:.3f} s, project {jp / modules:.3f} s (warm, 2nd in-process run "
      f"{med('project_again_s') / modules:.3f} s; JIT warm-up {med('project_warmup_s'):.2f} s per process), one-shot {os_ / modules:.3f} s; "
      f"numpy project {npp / modules:.3f} s, numpy align {na / modules:.3f} s")
print(f"align per module, each part timed alone over {one('align_breakdown_modules')} modules: read + convert both weights "
      f"{med('align_read_convert_s_per_module'):.3f} s, compute V {med('align_compute_v_s_per_module'):.3f} s, encode + write V "
      f"{med('align_write_s_per_module'):.3f} s, sha256 of the sources {sh / modules:.3f} s one file after another "
      f"({med('sha256_parallel_s') / modules:.3f} s all shards in parallel), reading both checkpoints' bytes {rc / modules:.3f} s")
print(f"CLI wall times (own JVM, incl. start-up): align {med('cli_align_wall_s'):.1f} s, project {med('cli_project_wall_s'):.1f} s, "
      f"one-shot {med('cli_oneshot_wall_s'):.1f} s")
print(f"size row | {layers} | {modules} | {ja / modules:.3f} | {jp / modules:.3f} | {os_ / modules:.3f} | "
      f"{rss.get('cli_align_rss_mib', float('nan')):.0f} / {rss.get('cli_project_rss_mib', float('nan')):.0f} / "
      f"{rss.get('cli_oneshot_rss_mib', float('nan')):.0f} MiB | {elapsed} s")
print(f"generation: {float(one('generate_s', 'nan')):.0f} s (0: reused kept data)")
print(f"whole script: {elapsed} s; logs and raw figures in {path.rsplit('/', 1)[0]}")
