#!/usr/bin/env python3
"""numpy baseline for `./safelora bench-safelora`: the same factored SafeLoRA algorithm
(C B = V (V^T B) / ||V||_F, cosines through r x r traces), in one process with BLAS underneath.

    OPENBLAS_NUM_THREADS=2 python3 benchmarks/safelora_numpy.py DIR [project|align|both]

DIR is a benchmark directory kept by `bench-safelora --keep --dir DIR` (base/, aligned/, adapter/,
alignment/). It times, on the same files as the Java run:
  project: read the alignment artifact's V module by module (bf16 -> f32; a bf16 artifact stores V^T, which
           BLAS reads with its transpose flag), project the adapter, write it;
  align:   what `safelora align` does by default, streamed module by module as the Java side does:
           V = bf16(aligned - base) (torch's/PEFT's bf16 subtraction), its norm, a finiteness check, V^T written
           as bf16 to DIR/numpy-alignment.safetensors (the layout of a bf16 artifact), and sha256 of every source shard on two threads
           (hashlib releases the GIL) while V is computed, as `align` hashes in parallel beside its loop.
Memory stays bounded by a module or two (the 80-layer, 70B-like run has 12 GB of V), like the Java side.
Set OPENBLAS_NUM_THREADS (the Java side uses 2 threads on this machine; benchmarks/safelora_bench.sh sets 2).
Prints key=value lines (numpy_project_s, numpy_align_s, numpy_rss_mib) that safelora_bench.sh reads.
A measuring tool, not product code.
"""
import concurrent.futures
import hashlib
import json
import os
import resource
import struct
import sys
import time

import numpy as np

CHUNK = 1 << 20  # elements per step of the streamed element-wise work


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), 8 + n


def raw(path, meta, offset, dtype):
    begin, end = meta["data_offsets"]
    return np.fromfile(path, dtype=dtype, count=(end - begin) // np.dtype(dtype).itemsize, offset=offset + begin)


def tensor(path, meta, offset):
    """The tensor as float32 (bf16 widened by a shift), with one temporary of its 16-bit size."""
    shape = meta["shape"]
    if meta["dtype"] == "BF16":
        wide = raw(path, meta, offset, np.uint16).astype(np.uint32)
        wide <<= 16
        return wide.view(np.float32).reshape(shape)
    if meta["dtype"] == "F32":
        return raw(path, meta, offset, np.float32).reshape(shape)
    raise SystemExit(f"unsupported dtype {meta['dtype']}")


def frobenius(v):
    """||V||_F accumulated in float64, a chunk at a time (no float64 copy of V)."""
    flat = v.reshape(-1)
    total = 0.0
    for i in range(0, flat.size, CHUNK):
        x = flat[i:i + CHUNK].astype(np.float64)
        total += float(x @ x)
    return np.sqrt(total)


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
    # version 2 artifacts store bf16 V as V^T (each tensor cols x rows); BLAS reads its transpose with a flag, no copy
    manifest = json.load(open(os.path.join(root, "alignment", "alignment.json")))
    transposed = manifest.get("layout") == "transposed"
    out, cosines = {}, {}
    for key in sorted(k for k in ad if k.endswith("lora_A.weight")):
        module = key[len("base_model.model."):-len(".lora_A.weight")]
        a = tensor(adapter_path, ad[key], ad_off).astype(np.float64)
        b = tensor(adapter_path, ad[key.replace("lora_A", "lora_B")], ad_off).astype(np.float64)
        v = tensor(al_path, al[module], al_off)
        norm = frobenius(v)  # the same for V^T
        bf = b.astype(np.float32)
        if transposed:  # v is V^T: C B = V^T^T (V^T B)
            cb = (v.T @ (v @ bf)).astype(np.float64) / norm
        else:
            cb = (v @ (v.T @ bf)).astype(np.float64) / norm
        del v
        g = a @ a.T
        inner = np.trace(cb.T @ b @ g)
        proj = np.sqrt(max(0.0, np.trace(cb.T @ cb @ g)))
        orig = np.sqrt(max(0.0, np.trace(b.T @ b @ g)))
        cosines[module] = inner / (max(proj, 1e-8) * max(orig, 1e-8))
        out[key] = a
        out[key.replace("lora_A", "lora_B")] = cb if cosines[module] <= 0.5 else b
    write_safetensors(os.path.join(root, "numpy-projected.safetensors"), out)
    return len(cosines)


def bf16_difference(aligned_bits, base_bits, out_bits):
    """out = bf16(aligned - base), rounded to nearest even as torch does; returns sum of squares (float64)."""
    total = 0.0
    for i in range(0, aligned_bits.size, CHUNK):
        a = aligned_bits[i:i + CHUNK].astype(np.uint32)
        a <<= 16
        b = base_bits[i:i + CHUNK].astype(np.uint32)
        b <<= 16
        d = a.view(np.float32)
        d -= b.view(np.float32)
        if not np.isfinite(d).all():
            raise SystemExit("V is not finite")
        bits = d.view(np.uint32)
        bits += 0x7FFF + ((bits >> 16) & 1)
        bits >>= 16
        out_bits[i:i + CHUNK] = bits
        r = bits.astype(np.uint16).astype(np.uint32)  # the rounded value, widened again for the norm
        r <<= 16
        x = r.view(np.float32).astype(np.float64)
        total += float(x @ x)
    return total


def align(root):
    index = json.load(open(os.path.join(root, "base", "model.safetensors.index.json")))["weight_map"]
    sources = [os.path.join(root, side, f) for side in ("base", "aligned")
               for f in sorted(os.listdir(os.path.join(root, side))) if f.endswith(".safetensors")]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        sums = pool.map(sha256, sources)  # runs beside the loop below
        heads = {}
        names = sorted(index, key=lambda n: (int(n.split(".")[2]), n))
        plan, pos = {}, 0
        for name in names:
            for side in ("base", "aligned"):
                path = os.path.join(root, side, index[name])
                if path not in heads:
                    heads[path] = header(path)
            meta = heads[os.path.join(root, "base", index[name])][0][name]
            nbytes = int(np.prod(meta["shape"])) * 2
            plan[name[:-len(".weight")]] = {"dtype": "BF16", "shape": meta["shape"][::-1], "data_offsets": [pos, pos + nbytes]}
            pos += nbytes
        head = json.dumps(plan).encode()
        head += b" " * (-len(head) % 8)
        norms = {}
        with open(os.path.join(root, "numpy-alignment.safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(head)))
            f.write(head)
            for name in names:
                bp, ap = os.path.join(root, "base", index[name]), os.path.join(root, "aligned", index[name])
                base_bits = raw(bp, heads[bp][0][name], heads[bp][1], np.uint16)
                aligned_bits = raw(ap, heads[ap][0][name], heads[ap][1], np.uint16)
                out_bits = np.empty_like(base_bits)
                norms[name] = np.sqrt(bf16_difference(aligned_bits, base_bits, out_bits))
                # written as V^T, as `align` stores a bf16 artifact
                f.write(np.ascontiguousarray(out_bits.reshape(heads[bp][0][name]["shape"]).T).tobytes())
                del base_bits, aligned_bits, out_bits
        list(sums)
    return len(norms)


def kv(key, value):
    print(f"{key}={value:.4f}" if isinstance(value, float) else f"{key}={value}", flush=True)


def timed(name, run, root, detail):
    """Runs project or align on root, prints its time and the numpy_<name>_s line safelora_bench.sh reads."""
    t0 = time.perf_counter()
    n = run(root)
    t = time.perf_counter() - t0
    print(f"numpy {name + ':':8s} {t:.2f} s ({n} modules, {t / n:.3f} s/module{detail})")
    kv(f"numpy_{name}_s", t)


def main():
    root = sys.argv[1]
    what = sys.argv[2] if len(sys.argv) > 2 else "both"
    if what not in ("project", "align", "both"):
        raise SystemExit("usage: safelora_numpy.py DIR [project|align|both]")
    kv("numpy_openblas_threads", os.environ.get("OPENBLAS_NUM_THREADS", "unset"))
    if what in ("project", "both"):
        timed("project", project, root, "")
    if what in ("align", "both"):
        timed("align", align, root, "; bf16 V streamed, sha256 on 2 threads beside it")
    kv("numpy_rss_mib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)


if __name__ == "__main__":
    main()
