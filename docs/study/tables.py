#!/usr/bin/env python3
"""Markdown tables of the SafeLoRA effect study from the eval reports run-seed.sh wrote.
usage: tables.py WORK_DIR SEED..."""
import json, os, sys

work, seeds = sys.argv[1], sys.argv[2:]

def ev(seed, name):
    path = os.path.join(work, f"seed-{seed}", "eval", name + ".json")
    if not os.path.exists(path):
        return None
    r = json.load(open(path))
    if "safety" not in r:
        return {"task": r["task"]["accuracy"], "loss": r["heldout"]["loss"]}
    return {"harmful": r["safety"]["harmful"]["refusalRate"], "novel": r["safety"]["novel"]["refusalRate"],
            "asr": r["safety"]["harmful"]["attackSuccessRate"], "over": r["overRefusal"]["overRefusalRate"],
            "task": r["task"]["accuracy"], "loss": r["heldout"]["loss"]}

def fmt(v, key):
    return "-" if v is None else (f"{v[key]:.3f}" if key == "loss" else f"{v[key]:.2f}")

def row(label, seed, name, keys):
    v = ev(seed, name)
    return f"| {seed} | {label} | " + " | ".join(fmt(v, k) for k in keys) + " |"

def cosines(seed, ft):
    path = os.path.join(work, f"seed-{seed}", f"proj-{ft}-k4", "safelora_report.json")
    if not os.path.exists(path):
        return None
    return sorted((m["cosine"], m["name"].replace("model.layers.", "L").replace(".self_attn.", " ")) for m in json.load(open(path))["modules"])

keys = ["harmful", "novel", "asr", "over", "task", "loss"]
head = "| seed | model | refusal held-out harmful | refusal novel kind | attack success | over-refusal benign | task acc | held-out loss |"
sep = "|---|---|---|---|---|---|---|---|"
print("### Aligned vs base\n")
print(head.replace("task acc", "box task acc").replace("held-out loss", "box task loss"))
print(sep)
for s in seeds:
    print(row("base", s, "base", keys))
    print(row("aligned", s, "aligned", keys))
print("\nNew skill (the benign fine-tune's age task) before any fine-tune:\n")
print("| seed | model | age task acc |\n|---|---|---|")
for s in seeds:
    for m in ("base", "aligned"):
        v = ev(s, m + "-newskill")
        print(f"| {s} | {m} | {fmt(v, 'task')} |")
for ft, task in (("harmful", "box task"), ("benign", "age task (new skill)"), ("mix", "age task (new skill)")):
    print(f"\n### {ft} fine-tune: raw vs projected (TOP_K K of the 4 q/v modules, lowest cosine first)\n")
    print(head.replace("task acc", task + " acc").replace("held-out loss", task + " loss"))
    print(sep)
    for s in seeds:
        print(row("raw (K=0)", s, f"{ft}-raw", keys))
        for k in (1, 2, 3, 4):
            print(row(f"projected K={k}", s, f"{ft}-k{k}", keys))
            for control in ("zero", "shrink"):
                if ev(s, f"{ft}-k{k}-{control}") is not None:
                    print(row(f"{control} K={k}", s, f"{ft}-k{k}-{control}", keys))
    print("\nCosines (ascending; THRESHOLD tau projects the modules with cosine <= tau, i.e. the K lowest):\n")
    for s in seeds:
        c = cosines(s, ft)
        if c:
            print(f"- seed {s}: " + ", ".join(f"{n} {x:.4f}" for x, n in c))
