#!/usr/bin/env python3
"""PyTorch eager baseline for the Java LoRA trainer's throughput (and a check of its losses).

Runs the same model, LoRA factors, micro-batches, learning rates and loop as
`./safelora bench-train` (which writes them into DIR first), written the way HF transformers'
eager Llama is: explicit matmul/softmax attention, RMSNorm in fp32, rotate-half RoPE, LoRA as
x A^T B^T * alpha/r on the frozen linear layers, summed cross-entropy over response tokens
divided by the step's token count, global gradient-norm clipping, torch.optim.AdamW.

Usage: python3 benchmarks/train_bench.py DIR
Prints tokens/s over the timed steps and the largest relative loss difference to the Java run.
This is a benchmark tool, not part of the product; it reads safetensors with numpy alone.
"""
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{name}: only F32 is supported here, got {info['dtype']}")
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype="<f4").copy().reshape(info["shape"])
        tensors[name] = torch.from_numpy(array)
    return tensors


class EagerLlama:
    def __init__(self, model_dir, lora_init, targets, rank, alpha):
        self.cfg = json.load(open(f"{model_dir}/config.json"))
        self.w = load_safetensors(f"{model_dir}/model.safetensors")
        for t in self.w.values():
            t.requires_grad_(False)
        self.scale = alpha / rank
        self.lora = {}
        init = load_safetensors(lora_init)
        for name in sorted({k.rsplit(".", 1)[0] for k in init}):
            a = init[name + ".lora_A"].clone().requires_grad_(True)
            b = init[name + ".lora_B"].clone().requires_grad_(True)
            self.lora[name] = (a, b)
        c = self.cfg
        self.heads, self.kv_heads = c["num_attention_heads"], c["num_key_value_heads"]
        self.head_dim = c.get("head_dim", c["hidden_size"] // self.heads)
        d = self.head_dim
        self.inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))

    def parameters(self):
        return [p for ab in self.lora.values() for p in ab]

    def linear(self, name, x):
        y = F.linear(x, self.w[name + ".weight"])
        if name in self.lora:
            a, b = self.lora[name]
            y = y + F.linear(F.linear(x, a), b) * self.scale
        return y

    def rms_norm(self, x, weight):
        variance = x.pow(2).mean(-1, keepdim=True)
        return weight * (x * torch.rsqrt(variance + self.cfg["rms_norm_eps"]))

    @staticmethod
    def rotate_half(x):
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)

    def forward(self, ids, mask):
        bsz, t = ids.shape
        d = self.head_dim
        positions = torch.arange(t, dtype=torch.float32)
        freqs = torch.outer(positions, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        neg = torch.finfo(torch.float32).min
        causal = torch.full((t, t), neg).triu(1)
        attn_mask = causal[None, None] + (1.0 - mask[:, None, None, :].float()) * neg
        attn_mask = attn_mask.clamp(min=neg)
        h = F.embedding(ids, self.w["model.embed_tokens.weight"])
        for i in range(self.cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            x = self.rms_norm(h, self.w[p + "input_layernorm.weight"])
            q = self.linear(p + "self_attn.q_proj", x).view(bsz, t, self.heads, d).transpose(1, 2)
            k = self.linear(p + "self_attn.k_proj", x).view(bsz, t, self.kv_heads, d).transpose(1, 2)
            v = self.linear(p + "self_attn.v_proj", x).view(bsz, t, self.kv_heads, d).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            groups = self.heads // self.kv_heads
            if groups > 1:
                k = k.repeat_interleave(groups, dim=1)
                v = v.repeat_interleave(groups, dim=1)
            scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(d) + attn_mask
            probs = F.softmax(scores, dim=-1, dtype=torch.float32)
            attended = torch.matmul(probs, v).transpose(1, 2).reshape(bsz, t, self.heads * d)
            h = h + self.linear(p + "self_attn.o_proj", attended)
            y = self.rms_norm(h, self.w[p + "post_attention_layernorm.weight"])
            mlp = self.linear(p + "mlp.down_proj",
                              F.silu(self.linear(p + "mlp.gate_proj", y)) * self.linear(p + "mlp.up_proj", y))
            h = h + mlp
        h = self.rms_norm(h, self.w["model.norm.weight"])
        head = self.w["model.embed_tokens.weight"] if self.cfg.get("tie_word_embeddings") else self.w["lm_head.weight"]
        return F.linear(h, head)


def main():
    directory = sys.argv[1]
    plan = json.load(open(f"{directory}/batches.json"))
    torch.set_num_threads(plan["threads"])
    model = EagerLlama(f"{directory}/model", f"{directory}/lora_init.safetensors", plan["targets"], plan["rank"],
                       plan["alpha"])
    params = model.parameters()
    optimizer = torch.optim.AdamW(params, lr=plan["steps"][0]["lr"], betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=plan["weight_decay"])
    losses = []
    step_rates = []
    timed_tokens = 0
    start = None
    for index, step in enumerate(plan["steps"]):
        if index == plan["warmup_steps"]:
            start = time.perf_counter()
            cpu_start = time.thread_time()
        step_start = time.perf_counter()
        step_tokens = 0
        batches = []
        trained = 0
        for mb in step["micro_batches"]:
            shape = (mb["rows"], mb["length"])
            ids = torch.tensor(mb["input_ids"], dtype=torch.int64).view(shape)
            labels = torch.tensor(mb["labels"], dtype=torch.int64).view(shape)
            mask = torch.tensor(mb["attention_mask"], dtype=torch.int64).view(shape)
            trained += int((labels[:, 1:] != -100).sum())
            batches.append((ids, labels, mask))
        loss_sum = 0.0
        for ids, labels, mask in batches:
            logits = model.forward(ids, mask)
            vocab = logits.shape[-1]
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), labels[:, 1:].reshape(-1),
                                   ignore_index=-100, reduction="sum")
            loss_sum += loss.item()
            (loss / trained).backward()
            step_tokens += int(mask.sum())
        if index >= plan["warmup_steps"]:
            timed_tokens += step_tokens
        max_norm = plan["max_grad_norm"] if plan["max_grad_norm"] > 0 else float("inf")
        torch.nn.utils.clip_grad_norm_(params, max_norm)
        for group in optimizer.param_groups:
            group["lr"] = step["lr"]
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss_sum / trained)
        if index >= plan["warmup_steps"]:
            step_rates.append(step_tokens / (time.perf_counter() - step_start))
    seconds = time.perf_counter() - start
    cpu_seconds = time.thread_time() - cpu_start
    step_rates.sort()
    result = {"tokens_per_second": timed_tokens / seconds, "median_tokens_per_second": step_rates[len(step_rates) // 2],
              "tokens_per_cpu_second": timed_tokens / cpu_seconds,
              "timed_tokens": timed_tokens, "timed_seconds": seconds, "losses": losses}
    json.dump(result, open(f"{directory}/python_result.json", "w"))
    print(f"pytorch eager tokens/s {result['tokens_per_second']:.1f} (median step {result['median_tokens_per_second']:.1f},"
          f" per CPU second of the training thread {result['tokens_per_cpu_second']:.1f};"
          f" {timed_tokens} tokens in {seconds:.2f} s, torch {torch.__version__}, {torch.get_num_threads()} threads)")
    try:
        java = json.load(open(f"{directory}/java_result.json"))
        diff = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(java["losses"], losses))
        print(f"java tokens/s {java['tokensPerSecond']:.1f} (median step {java['medianTokensPerSecond']:.1f});"
              f" ratio java/pytorch {java['tokensPerSecond'] / result['tokens_per_second']:.3f}"
              f" (median steps {java['medianTokensPerSecond'] / result['median_tokens_per_second']:.3f},"
              f" CPU time {java['tokensPerCpuSecond'] / result['tokens_per_cpu_second']:.3f});"
              f" largest relative loss difference {diff:.2e}")
    except FileNotFoundError:
        pass


if __name__ == "__main__":
    main()
