#!/usr/bin/env python3
"""numpy baseline for `./safelora bench-safelora`: the same factored SafeLoRA algorithm
(C B = V (V^T B) / ||V||_F, cosines through r x r traces), in one process with BLAS underneath.

    python3 benchmarks/safelora_numpy.py DIR

DIR is a benchmark directory kept by `bench-safelora --keep --dir DIR` (base/, aligned/, adapter/,
alignment/). It times two things on the same files as the Java run:
  project: read the alignment artifact's V module by module, project the adapter, write it;
  align:   read both checkpoints, V = aligned - base in f32, write the f32 artifact, sha256 the sources.
Set OPENBLAS_NUM_THREADS (the Java side uses every core; the command in benchmarks/README.md sets 2).
A measuring tool, not product code.
"""
import hashlib
import json
import os
import struct
import sys
import time

import numpy as np


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), 8 + n


def tensor(path, meta, offset):
    begin, end = meta["data_offsets"]
    shape = meta["shape"]
    if meta["dtype"] == "BF16":
        raw = np.fromfile(path, dtype=np.uint16, count=(end - begin) // 2, offset=offset + begin)
        return (raw.astype(np.uint32) << 16).view(np.float32).reshape(shape)
    if meta["dtype"] == "F32":
        return np.fromfile(path, dtype=np.float32, count=(end - begin) // 4, offset=offset + begin).reshape(shape)
    raise SystemExit(f"unsupported dtype {meta['dtype']}")


def write_safetensors(path, tensors):
    meta, pos = {}, 0
    for name, t in tensors.items():
        meta[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [pos, pos + t.nbytes]}
        pos += t.nbytes
    head = json.dumps(meta).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for t in tensors.values():
            f.write(np.ascontiguousarray(t, dtype=np.float32).tobytes())


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def project(root):
    adapter_path = os.path.join(root, "adapter", "adapter_model.safetensors")
    ad, ad_off = header(adapter_path)
    al_path = os.path.join(root, "alignment", "alignment.safetensors")
    al, al_off = header(al_path)
    out, cosines = {}, {}
    for key in sorted(k for k in ad if k.endswith("lora_A.weight")):
        module = key[len("base_model.model."):-len(".lora_A.weight")]
        a = tensor(adapter_path, ad[key], ad_off).astype(np.float64)
        b = tensor(adapter_path, ad[key.replace("lora_A", "lora_B")], ad_off).astype(np.float64)
        v = tensor(al_path, al[module], al_off)
        norm = np.linalg.norm(v.astype(np.float64))
        cb = (v @ (v.T @ b.astype(np.float32))).astype(np.float64) / norm
        g = a @ a.T
        inner = np.trace(cb.T @ b @ g)
        proj = np.sqrt(max(0.0, np.trace(cb.T @ cb @ g)))
        orig = np.sqrt(max(0.0, np.trace(b.T @ b @ g)))
        cosines[module] = inner / (max(proj, 1e-8) * max(orig, 1e-8))
        out[key] = a
        out[key.replace("lora_A", "lora_B")] = cb if cosines[module] <= 0.5 else b
    write_safetensors(os.path.join(root, "numpy-projected.safetensors"), out)
    return len(cosines)


def align(root):
    sums = {}
    out = {}
    for side in ("base", "aligned"):
        d = os.path.join(root, side)
        sums[side] = {f: sha256(os.path.join(d, f)) for f in sorted(os.listdir(d)) if f.endswith(".safetensors")}
    index = json.load(open(os.path.join(root, "base", "model.safetensors.index.json")))["weight_map"]
    heads = {}
    for name, file in index.items():
        for side in ("base", "aligned"):
            path = os.path.join(root, side, file)
            if path not in heads:
                heads[path] = header(path)
        bp, ap = os.path.join(root, "base", file), os.path.join(root, "aligned", file)
        v = tensor(ap, heads[ap][0][name], heads[ap][1]) - tensor(bp, heads[bp][0][name], heads[bp][1])
        out[name[:-len(".weight")]] = v
    write_safetensors(os.path.join(root, "numpy-alignment.safetensors"), out)
    return len(out)


def main():
    root = sys.argv[1]
    t0 = time.perf_counter()
    n = project(root)
    t1 = time.perf_counter()
    print(f"numpy project: {t1 - t0:.2f} s ({n} modules, {(t1 - t0) / n:.3f} s/module)")
    m = align(root)
    t2 = time.perf_counter()
    print(f"numpy align:   {t2 - t1:.2f} s ({m} modules, {(t2 - t1) / m:.3f} s/module)")


if __name__ == "__main__":
    main()
