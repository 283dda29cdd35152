#!/usr/bin/env bash
# SafeLoRA align + project: every target of issue 16 as a ratio from one run, Java against the numpy baseline.
#
#   benchmarks/safelora_bench.sh --layers 8  [--repeats 3]                  # Llama-2-7B shapes, 16 modules
#   benchmarks/safelora_bench.sh --layers 32 [--repeats 3]                  # the whole 7B q/v set, 64 modules
#   benchmarks/safelora_bench.sh --layers 80 --hidden 8192 --kv-rows 1024 --dir /tmp/sl80 --clean   # 70B-like, GQA v
#
# Each repeat runs, alternating, `./safelora bench-safelora` (align, project, the read/sha256 floors, the align
# breakdown; in one JVM) and benchmarks/safelora_numpy.py (project, then align) on the same files; the first repeat
# also runs the real CLI commands `align`, `project --alignment` and one-shot `project --base --aligned`, each in its
# own JVM under /usr/bin/time, for their peak RSS. The table (benchmarks/safelora_bench_table.py) gives each target's
# ratio within a repeat, median and range over the repeats. Takes about 2-3 min at 8 layers (3 repeats), 3-7 min at 32,
# 6-13 min at 80 (24 GB of checkpoints + a 12 GB artifact on disk at once).
# Options: --layers N --hidden N --kv-rows N --rank N --repeats N --dir DIR --naive-modules N (first repeat only)
#          --no-cli (skip the CLI RSS runs) --clean (delete the data at the end, keep DIR/logs).
# Settings: SAFELORA_JAVA_OPTS (default -Xmx1g); numpy with OPENBLAS_NUM_THREADS=2, as the Java side's 2 threads.
# Build first: ./mvnw -q -DskipTests package
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
layers=8 hidden=4096 kv_rows="" rank=8 repeats=1 dir="" naive=0 cli=1 clean=0
while (($#)); do
  case "$1" in
    --layers) layers="$2"; shift 2 ;;
    --hidden) hidden="$2"; shift 2 ;;
    --kv-rows) kv_rows="$2"; shift 2 ;;
    --rank) rank="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --naive-modules) naive="$2"; shift 2 ;;
    --no-cli) cli=0; shift ;;
    --clean) clean=1; shift ;;
    -h|--help) sed -n '2,/^set /p' "$0" | grep '^#'; exit 0 ;;
    *) echo "safelora_bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$layers" "$hidden" "$rank" "$repeats" "$naive" ${kv_rows:+"$kv_rows"}; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "safelora_bench.sh: sizes and counts must be whole numbers, got '$n'" >&2; exit 2; }
done
((repeats >= 1)) || { echo "safelora_bench.sh: --repeats must be at least 1" >&2; exit 2; }
kv_rows="${kv_rows:-$hidden}"
dir="${dir:-/tmp/safelora-bench-${layers}x${hidden}x${kv_rows}}"
[[ -f "$root/pipeline/app/target/safelora-app.jar" ]] || { echo "safelora_bench.sh: build first: ./mvnw -q -DskipTests package" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "safelora_bench.sh: needs GNU time at /usr/bin/time (peak RSS)" >&2; exit 1; }
python3 -c 'import numpy' 2>/dev/null || { echo "safelora_bench.sh: python3 with numpy is needed for the baseline" >&2; exit 1; }

export SAFELORA_JAVA_OPTS="${SAFELORA_JAVA_OPTS:--Xmx1g}"
export OPENBLAS_NUM_THREADS=2
mkdir -p "$dir/logs"
# --clean deletes the data on every exit, a failed run's too (70B-like data fills a shared disk)
cleanup() { find "$dir" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +; echo "# deleted the data under $dir (kept $dir/logs)"; }
((clean)) && trap cleanup EXIT
results="$dir/logs/results.txt"   # one "run key=value" line per figure
: > "$results"
started=$(date +%s)

# The peak RSS (MiB) and wall time (s) of a command, from GNU time, appended to $results as <name>_rss_mib / <name>_wall_s.
timed() {
  local name="$1" run="$2"; shift 2
  local log="$dir/logs/$name-$run.txt"
  /usr/bin/time -f "time_rss_kb=%M time_wall_s=%e" -o "$log.time" "$@" > "$log" 2>&1 || {
    echo "safelora_bench.sh: '$*' failed; its output is in $log:" >&2; tail -20 "$log" >&2; exit 1; }
  grep -E '^[a-z0-9_]+=[^ ]+$' "$log" | sed "s/^/$run /" >> "$results" || true
  sed -E "s/time_rss_kb=([0-9]+) time_wall_s=([0-9.]+)/\1 \2/" "$log.time" | tail -1 |
    awk -v r="$run" -v n="$name" '{printf "%s %s_rss_mib=%.1f\n%s %s_wall_s=%s\n", r, n, $1/1024, r, n, $2}' >> "$results"
}

free_gb() { df -Pk "$dir" | awk 'NR==2 {printf "%d", $4/1048576}'; }

echo "# safelora_bench.sh --layers $layers --hidden $hidden --kv-rows $kv_rows --rank $rank --repeats $repeats --dir $dir"
echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs,"\
     "$(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# SAFELORA_JAVA_OPTS='$SAFELORA_JAVA_OPTS' (Java: 2 threads, the common pool + caller); numpy OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS;"\
     "$(free_gb) GB free under $dir"

# The data, in a JVM of its own (the measuring one never holds the generator's buffers); kept data of the same sizes is reused.
echo "# generating (or reusing) the checkpoints and adapter"
timed generate 0 "$root/safelora" bench-safelora --layers "$layers" --hidden "$hidden" --kv-rows "$kv_rows" --rank "$rank" \
  --dir "$dir" --reuse --generate-only

for ((run = 1; run <= repeats; run++)); do
  extra=()
  ((run == 1 && naive > 0)) && extra=(--naive-modules "$naive") || extra=(--naive-modules 0)
  echo "# repeat $run/$repeats: Java bench-safelora (load $(cut -d' ' -f1 /proc/loadavg))"
  timed java "$run" "$root/safelora" bench-safelora --layers "$layers" --hidden "$hidden" --kv-rows "$kv_rows" --rank "$rank" \
    "${extra[@]}" --dir "$dir" --reuse
  echo "# repeat $run/$repeats: numpy project (load $(cut -d' ' -f1 /proc/loadavg))"
  timed numpy_project "$run" python3 "$root/benchmarks/safelora_numpy.py" "$dir" project
  if ((run == 1 && cli)); then
    echo "# CLI commands in their own JVMs, for peak RSS (load $(cut -d' ' -f1 /proc/loadavg))"
    rm -rf "$dir/cli-projected" "$dir/cli-one-shot"
    # align writes alignment.safetensors.partial beside the old artifact until it renames it: at 80 layers that would be
    # 24 GB of checkpoints + 2 x 12 GB; the artifact bench-safelora wrote is not needed any more in this repeat
    rm -f "$dir/alignment/alignment.safetensors"
    timed cli_align "$run" "$root/safelora" align --base="$dir/base" --aligned="$dir/aligned" --modules=q_proj,v_proj --out="$dir/alignment"
    timed cli_project "$run" "$root/safelora" project --adapter="$dir/adapter" --alignment="$dir/alignment" --out="$dir/cli-projected"
    timed cli_oneshot "$run" "$root/safelora" project --adapter="$dir/adapter" --base="$dir/base" --aligned="$dir/aligned" \
      --out="$dir/cli-one-shot"
  fi
  # numpy align writes another artifact as large as the Java one: make room when the disk is short (bench-safelora
  # writes the Java artifact again in every repeat).
  need=$(( $(stat -c %s "$dir/alignment/alignment.safetensors" 2>/dev/null || echo 0) / 1073741824 + 3 ))
  if (( $(free_gb) < need )); then
    echo "# only $(free_gb) GB free: deleting the Java artifact before numpy align writes its own"
    rm -f "$dir/alignment/alignment.safetensors"
  fi
  echo "# repeat $run/$repeats: numpy align (load $(cut -d' ' -f1 /proc/loadavg))"
  timed numpy_align "$run" python3 "$root/benchmarks/safelora_numpy.py" "$dir" align
  rm -f "$dir/numpy-alignment.safetensors"
done

python3 "$root/benchmarks/safelora_bench_table.py" "$results" "$layers" "$hidden" "$kv_rows" "$(( $(date +%s) - started ))"

