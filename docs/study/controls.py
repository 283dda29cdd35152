#!/usr/bin/env python3
"""The study's controls on the modules SafeLoRA projected: zero their LoRA update (B := 0), or shrink it
isotropically to the projected update's Frobenius norm (B := B * ||B'A|| / ||BA||, B' the projected B).

usage: controls.py RAW_ADAPTER PROJECTED_ADAPTER ZERO_OUT SHRINK_OUT
The projected adapter's safelora_report.json names the projected modules. F32 adapters only (what `train` writes).
"""
import json, os, shutil, struct, sys
import numpy as np

def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        tensors[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(info["shape"]).copy()
    return meta, tensors

def write(path, meta, tensors):
    header, offset, blobs = {}, 0, []
    if meta:
        header["__metadata__"] = meta
    for name, t in tensors.items():
        raw = np.ascontiguousarray(t, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)

raw_dir, proj_dir, zero_dir, shrink_dir = sys.argv[1:5]
report = json.load(open(os.path.join(proj_dir, "safelora_report.json")))
projected = [m["name"] for m in report["modules"] if m["projected"]]
meta, raw = read(os.path.join(raw_dir, "adapter_model.safetensors"))
_, proj = read(os.path.join(proj_dir, "adapter_model.safetensors"))
zero, shrink = dict(raw), dict(raw)
for module in projected:
    a_key = f"base_model.model.{module}.lora_A.weight"
    b_key = f"base_model.model.{module}.lora_B.weight"
    a, b, b_proj = raw[a_key], raw[b_key], proj[b_key]
    zero[b_key] = np.zeros_like(b)
    factor = np.linalg.norm(b_proj.astype(np.float64) @ a) / max(np.linalg.norm(b.astype(np.float64) @ a), 1e-30)
    shrink[b_key] = (b * factor).astype(np.float32)
for out, tensors in ((zero_dir, zero), (shrink_dir, shrink)):
    os.makedirs(out, exist_ok=True)
    shutil.copy(os.path.join(raw_dir, "adapter_config.json"), out)
    write(os.path.join(out, "adapter_model.safetensors"), meta, tensors)
print(json.dumps({"projected": projected}))
