#!/usr/bin/env bash
# One seed of the SafeLoRA effect study (docs/safelora-effect.md): generates the toy family, aligns q_proj/v_proj,
# fine-tunes the aligned model on harmful, benign and mixed data (LoRA r 8 on q_proj/v_proj, the paper's setting),
# projects each adapter with TOP_K (the model has 4 q/v modules, so every THRESHOLD tau selects one of these K-sets)
# and evaluates; the controls zero or shrink the update of the same modules at K = 2 and 3 (`project --remedy zero|shrink`). A step whose output exists is
# skipped, so an interrupted run continues.
# usage: docs/study/run-seed.sh SEED WORK_DIR      (from the repository root, after ./mvnw -o -q -B package -DskipTests -pl pipeline/app -am)
set -euo pipefail
S=$1; W=$2/seed-$S; D=$W/family/data
mkdir -p "$W/eval"
[[ -f $W/family/family.json ]] || ./safelora toy-family --out "$W/family" --seed "$S" 2> "$W/toy-family.log"
[[ -f $W/align/alignment.json ]] || ./safelora align --base "$W/family/base" --aligned "$W/family/aligned" --modules q_proj,v_proj \
  --out "$W/align" > /dev/null 2>&1
evaluate() { # NAME MODEL ADAPTER TASKFILE [task-only]
  [[ -f $W/eval/$1.json ]] && return 0
  local sets=(--safety harmful="$D/eval-harmful.jsonl" --safety novel="$D/eval-novel.jsonl" --benign "$D/eval-benign.jsonl")
  [[ ${5:-} == task-only ]] && sets=()
  ./safelora eval --model "$2" ${3:+--adapter "$3"} "${sets[@]}" --task "$4" --heldout "$4" --max-new-tokens 16 \
    --out "$W/eval/$1.json" > /dev/null 2>&1   # the report is the file; eval also prints a summary
}
fine_tune() { # FT EPOCHS LR
  [[ -f $W/ft-$1/adapter_model.safetensors ]] || ./safelora train --model "$W/family/aligned" --data "$D/$1-ft.jsonl" \
    --out "$W/ft-$1" --targets q_proj,v_proj --rank 8 --alpha 16 --lr "$3" --epochs "$2" --batch-size 8 --max-seq-len 48 \
    --template raw --seed "$S" --dropout 0 > "$W/ft-$1.log" 2>&1
}
projected() { # FT K TASKFILE
  [[ -f $W/proj-$1-k$2/safelora_report.json ]] || ./safelora project --adapter "$W/ft-$1" --alignment "$W/align" \
    --out "$W/proj-$1-k$2" --mode top-k --top-k "$2" > /dev/null 2>&1
  evaluate "$1-k$2" "$W/family/aligned" "$W/proj-$1-k$2" "$3"
}
controls() { # FT K TASKFILE: the product's --remedy zero|shrink on the same cosine-selected K modules
  local r
  for r in zero shrink; do
    [[ -f $W/$r-$1-k$2/safelora_report.json ]] || ./safelora project --adapter "$W/ft-$1" --alignment "$W/align" \
      --out "$W/$r-$1-k$2" --mode top-k --top-k "$2" --remedy "$r" > /dev/null 2>&1
  done
  evaluate "$1-k$2-zero" "$W/family/aligned" "$W/zero-$1-k$2" "$3"
  evaluate "$1-k$2-shrink" "$W/family/aligned" "$W/shrink-$1-k$2" "$3"
}
box=$D/eval-task.jsonl; age=$D/eval-benign-task.jsonl
evaluate base "$W/family/base" "" "$box"
evaluate aligned "$W/family/aligned" "" "$box"
evaluate base-newskill "$W/family/base" "" "$age" task-only
evaluate aligned-newskill "$W/family/aligned" "" "$age" task-only
fine_tune harmful 5 5e-3
evaluate harmful-raw "$W/family/aligned" "$W/ft-harmful" "$box"
for k in 1 2 3 4; do projected harmful $k "$box"; done
fine_tune benign 20 1e-2
evaluate benign-raw "$W/family/aligned" "$W/ft-benign" "$age"
for k in 2 4; do projected benign $k "$age"; done
fine_tune mix 8 1e-2
evaluate mix-raw "$W/family/aligned" "$W/ft-mix" "$age"
for k in 2 3; do projected mix $k "$age"; done
controls harmful 2 "$box"
controls mix 2 "$age"
for k in 3 1 4; do projected mix $k "$age"; done
for k in 1 3; do projected benign $k "$age"; done
controls harmful 3 "$box"
echo "seed $S done"
