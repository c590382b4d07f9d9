#!/usr/bin/env python3
"""Compose measured per-operation GPU kernel times into engine-iteration step times.

Source data: the per-op tables shipped in NVIDIA's `aiconfigurator-core` wheel (Apache-2.0),
folder `aiconfigurator_core/systems/data/<system>/<op>/<backend>/<version>/*.parquet`.
See data/kernels/SOURCES.md for provenance, table semantics and caveats.

For a dense Llama-style model (L layers, hidden d, heads h, kv heads hkv, head dim dh,
FFN dff, vocab V), tensor-parallel degree tp and weight dtype (bf16 or fp8), the time of ONE
engine iteration holding at most one prefill chunk (c tokens over p cached tokens) plus
B decodes (contexts summing to X) is

  L * [ GEMM(T, (h+2hkv)dh/tp, d)          QKV projection            T = c + B tokens
      + GEMM(T, d, h*dh/tp)                O projection
      + GEMM(T, 2*dff/tp, d)               gate+up (merged)
      + GEMM(T, d, dff/tp)                 down
      + CTX_ATTN(c over p)                 if c > 0
      + GEN_ATTN(B, X/B)                   if B > 0
      + 2 * ALLREDUCE(T * d elements)      if tp > 1 ]
  + GEMM(S, V/tp, d)                       LM head once, S = B + (1 if c > 0), always bf16

Kernel time only: no CPU/scheduler overhead, no norms/RoPE/SiLU/embedding/sampling kernels,
no overlap between ops (the sum is what a CUDA-graph-free sequential stream would take).

Interpolation (documented in SOURCES.md):
  * every measured curve is first replaced by its lower non-decreasing envelope along each
    size axis (m, then n, then k for GEMMs, isl for prefill attention, batch and kv length for decode attention,
    message size for all-reduce):
    removes isolated outliers such as a slow first point, never raises a measurement.
  * GEMM: for each of the 4 grid corners (n_i, k_j) bracketing (n, k), piecewise-linear in m
    over that corner's measured m points, then bilinear in (n, k). n (or k) above the largest
    measured value (only the LM head, n = V/tp > 65536) scales the largest measured GEMM by
    n / n_max.
  * context attention: table of (batch=1, isl=s) causal prefill. A chunk of c tokens over p
    cached tokens is T1(p+c) * (1 - (p/(p+c))^2) (share of causal query-key pairs), floored at
    T1(c). Linear in s between measured isl points.
  * generation attention: table of (batch b, kv length s = step+1). Bilinear in (b, s); where the
    collector skipped (b, s) cells (memory cap), the cell is filled from the largest measured
    batch at that s, scaled by b/b_max (bandwidth-bound regime), before interpolating. Decodes
    of one step are assumed to share the mean context X/B.
  * all-reduce: vLLM custom all-reduce (CUDA-graph mode) table, message size in elements,
    piecewise-linear in size.

Reading .parquet needs pyarrow (the only non-stdlib dependency, imported lazily). A table may
instead be given as a .csv file with the same columns next to where the .parquet would be.

Usage:
  python3 scripts/kernels_to_steps.py --systems /path/to/aiconfigurator_core/systems --all \\
      --out data/kernels
  python3 scripts/kernels_to_steps.py --systems ... --gpu h100-sxm --model llama-3.1-8b \\
      --tp 1 --dtype bf16 --query 0,0,1,1024   # prints an op-by-op breakdown (ms)
"""

import argparse
import bisect
import csv
import math
import os
import sys

# --------------------------------------------------------------------------------------------
# Catalog: our GPU name -> aiconfigurator system folder, vLLM version for GEMM/attention tables,
# vLLM version for the custom all-reduce table, memory capacity (bytes, from <system>.yaml).
# Versions are the `current` vLLM slot of the package's query_versions.yaml (0.24.0, and 0.14.0
# for a100_sxm); l40s has no 0.24.0 all-reduce table, so its newest (0.22.0) is used.
GPUS = {
    "a100-80g": dict(system="a100_sxm", vllm="0.14.0", ar="0.14.0", mem=85899345920),
    "h100-sxm": dict(system="h100_sxm", vllm="0.24.0", ar="0.24.0", mem=85899345920),
    "h200-sxm": dict(system="h200_sxm", vllm="0.24.0", ar="0.24.0", mem=151397597184),
    "b200": dict(system="b200_sxm", vllm="0.24.0", ar="0.24.0", mem=193273528320),
    # not (yet) in Sources/SluiceCatalog/Resources/catalog.json: only written when named with --gpu
    "b300": dict(system="b300_sxm", vllm="0.24.0", ar="0.24.0", mem=288400343040, extra=True),
    "gb200": dict(system="gb200", vllm="0.24.0", ar="0.24.0", mem=198674743296, extra=True),
    "l40s": dict(system="l40s", vllm="0.24.0", ar="0.22.0", mem=48305799168),
    "rtx-pro-6000": dict(system="rtx_pro_6000_server", vllm="0.24.0", ar="0.24.0", mem=102641958912),
}

MODELS = {
    "llama-3.1-8b": dict(L=32, d=4096, h=32, hkv=8, dh=128, dff=14336, V=128256, tps=[1]),
    "llama-3.1-70b": dict(L=80, d=8192, h=64, hkv=8, dh=128, dff=28672, V=128256, tps=[2, 4, 8]),
    "qwen3-32b": dict(L=64, d=5120, h=64, hkv=8, dh=128, dff=25600, V=151936, tps=[1, 2, 4]),
}

# weight dtype -> (gemm_dtype in the table, preferred kernel_source); vLLM's defaults.
GEMM_KERNELS = {
    "bf16": ("bfloat16", ["torch.nn.functional.linear", "vllm_default"]),
    "fp8": ("fp8", ["CutlassFP8ScaledMMLinearKernel"]),
}

HEADER = ["prefill_tokens", "prefill_context_tokens", "decode_sequences", "decode_context_tokens", "step_ms"]


# --------------------------------------------------------------------------------------------
# table loading

_TABLES = {}


def load_table(path_no_ext):
    """Rows (list of dicts) of `<path>.parquet` (pyarrow) or `<path>.csv` (stdlib), cached."""
    if path_no_ext not in _TABLES:
        _TABLES[path_no_ext] = _read_table(path_no_ext)
    return _TABLES[path_no_ext]


def _read_table(path_no_ext):
    if os.path.exists(path_no_ext + ".csv"):
        with open(path_no_ext + ".csv", newline="") as f:
            return list(csv.DictReader(f))
    path = path_no_ext + ".parquet"
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        sys.exit("reading %s needs pyarrow (pip install pyarrow), or convert it to .csv" % path)
    return pq.read_table(path).to_pylist()


def piecewise(xs, ys, x):
    """Linear interpolation on sorted xs; linear extrapolation from the end segments."""
    if len(xs) == 1 or x <= xs[0]:
        return ys[0]  # below the grid: clamp to the smallest measurement
    i = bisect.bisect_left(xs, x)
    if i < len(xs) and xs[i] == x:
        return ys[i]
    i = min(i, len(xs) - 1)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def monotone(ys):
    """Lower non-decreasing envelope: y[i] = min(y[i:]). A kernel on a smaller problem can
    always be run padded to the next measured size, so a measured point above a larger
    neighbour is treated as noise or a poor tile choice (e.g. isolated warm-up outliers)."""
    out = list(ys)
    for i in range(len(out) - 2, -1, -1):
        out[i] = min(out[i], out[i + 1])
    return out


def bracket(axis, x):
    """Two neighbouring grid values around x (for extrapolation: the last two)."""
    i = bisect.bisect_left(axis, x)
    if i < len(axis) and axis[i] == x:
        return axis[i], axis[i]
    i = min(max(i, 1), len(axis) - 1)
    return axis[i - 1], axis[i]


def lerp2(a0, a1, y0, y1, a):
    return y0 if a0 == a1 else y0 + (y1 - y0) * (a - a0) / (a1 - a0)


# --------------------------------------------------------------------------------------------
# ops

class Gemm:
    def __init__(self, rows, gemm_dtype, kernels, where):
        pick = None
        sources = {r["kernel_source"] for r in rows if r["gemm_dtype"] == gemm_dtype}
        for k in kernels:
            if k in sources:
                pick = k
                break
        if pick is None:
            raise LookupError("no %s GEMM rows (kernels %s) in %s; have %s" % (gemm_dtype, kernels, where, sources))
        self.kernel = pick
        by_nk = {}
        for r in rows:
            if r["gemm_dtype"] == gemm_dtype and r["kernel_source"] == pick:
                by_nk.setdefault((int(r["n"]), int(r["k"])), {})[int(r["m"])] = float(r["latency"])
        self.curves = {nk: (sorted(c), monotone([c[m] for m in sorted(c)])) for nk, c in by_nk.items()}
        self.ns = sorted({n for n, _ in by_nk})
        self.ks = sorted({k for _, k in by_nk})
        # the same envelope along n (for each k) and then along k (for each n): a GEMM is never
        # taken to be slower than a measured larger one (removes throttled/odd grid points)
        for axis in ("n", "k"):
            lines = self.ks if axis == "n" else self.ns
            steps = self.ns if axis == "n" else self.ks
            for fixed in lines:
                keys = [(v, fixed) if axis == "n" else (fixed, v) for v in steps]
                keys = [key for key in keys if key in self.curves]
                for i in range(len(keys) - 2, -1, -1):
                    ms, ys = self.curves[keys[i]]
                    nm, ny = self.curves[keys[i + 1]]
                    self.curves[keys[i]] = (ms, [min(y, piecewise(nm, ny, m)) for m, y in zip(ms, ys)])

    def at_grid(self, m, n, k):
        ms, ys = self.curves[(n, k)]
        return piecewise(ms, ys, m)

    def __call__(self, m, n, k):
        # beyond the largest measured n or k (LM head: n = V/tp > 65536): scale the largest
        # measured GEMM proportionally (exact when time is linear in n, i.e. for large n)
        if n > self.ns[-1]:
            return self(m, self.ns[-1], k) * n / self.ns[-1]
        if k > self.ks[-1]:
            return self(m, n, self.ks[-1]) * k / self.ks[-1]
        n0, n1 = bracket(self.ns, n)
        k0, k1 = bracket(self.ks, k)
        v00, v01 = self.at_grid(m, n0, k0), self.at_grid(m, n0, k1)
        v10, v11 = self.at_grid(m, n1, k0), self.at_grid(m, n1, k1)
        a = lerp2(k0, k1, v00, v01, k)
        b = lerp2(k0, k1, v10, v11, k)
        return lerp2(n0, n1, a, b, n)


def _select_attention(rows, nh, nkv, dh, kv_dtype, where):
    rows = [r for r in rows
            if int(r["num_heads"]) == nh and int(r["num_key_value_heads"]) == nkv and int(r["head_dim"]) == dh
            and r["kv_cache_dtype"] == kv_dtype and r.get("attn_dtype", "bfloat16") == "bfloat16"
            and int(r.get("window_size", 0) or 0) == 0 and int(r.get("beam_width", 1) or 1) == 1]
    count = {}
    for r in rows:
        count[r["kernel_source"]] = count.get(r["kernel_source"], 0) + 1
    if not count:
        raise LookupError("no attention rows for heads %d/%d dh %d kv %s in %s" % (nh, nkv, dh, kv_dtype, where))
    kernel = max(sorted(count), key=lambda s: count[s])  # densest lane (framework's measured kernel)
    return kernel, [r for r in rows if r["kernel_source"] == kernel]


class ContextAttention:
    def __init__(self, rows, nh, nkv, dh, kv_dtype, where):
        self.kernel, rows = _select_attention(rows, nh, nkv, dh, kv_dtype, where)
        c = {int(r["isl"]): float(r["latency"]) for r in rows if int(r["batch_size"]) == 1}
        self.s = sorted(c)
        self.y = monotone([c[s] for s in self.s])

    def t1(self, s):
        return piecewise(self.s, self.y, s)

    def __call__(self, chunk, prefix):
        if chunk <= 0:
            return 0.0
        full = prefix + chunk
        share = 1.0 - (prefix / full) ** 2
        return max(self.t1(chunk), self.t1(full) * share)


class GenerationAttention:
    def __init__(self, rows, nh, nkv, dh, kv_dtype, where):
        self.kernel, rows = _select_attention(rows, nh, nkv, dh, kv_dtype, where)
        cells = {}
        for r in rows:
            cells[(int(r["batch_size"]), int(r["isl"]) + int(r["step"]))] = float(r["latency"])
        self.bs = sorted({b for b, _ in cells})
        self.ss = sorted({s for _, s in cells})
        self.grid = {}
        for s in self.ss:
            have = [b for b in self.bs if (b, s) in cells]
            bmax = max(have)
            for b in self.bs:
                if (b, s) in cells:
                    self.grid[(b, s)] = cells[(b, s)]
                elif b > bmax:
                    self.grid[(b, s)] = cells[(bmax, s)] * b / bmax
                else:  # hole inside the measured range: interpolate along b
                    xs = have
                    self.grid[(b, s)] = piecewise(xs, [cells[(x, s)] for x in xs], b)
        # non-decreasing in batch and in kv length
        for s in self.ss:
            col = monotone([self.grid[(b, s)] for b in self.bs])
            for b, v in zip(self.bs, col):
                self.grid[(b, s)] = v
        for b in self.bs:
            row = monotone([self.grid[(b, s)] for s in self.ss])
            for s, v in zip(self.ss, row):
                self.grid[(b, s)] = v

    def __call__(self, batch, mean_kv):
        if batch <= 0:
            return 0.0
        b0, b1 = bracket(self.bs, batch)
        s0, s1 = bracket(self.ss, mean_kv)
        a = lerp2(s0, s1, self.grid[(b0, s0)], self.grid[(b0, s1)], mean_kv)
        c = lerp2(s0, s1, self.grid[(b1, s0)], self.grid[(b1, s1)], mean_kv)
        v = lerp2(b0, b1, a, c, batch)
        return max(v, 0.0)


class AllReduce:
    def __init__(self, rows, tp, where):
        rows = [r for r in rows if int(r["num_gpus"]) == tp and r.get("allreduce_dtype", "bfloat16") == "bfloat16"]
        graph = [r for r in rows if "graph" in str(r.get("backend", "")) or "graph" in str(r.get("kernel_source", ""))]
        rows = graph or rows
        if not rows:
            raise LookupError("no all-reduce rows for tp %d in %s" % (tp, where))
        self.kernel = rows[0]["kernel_source"]
        c = {int(r["message_size"]): float(r["latency"]) for r in rows}
        self.x = sorted(c)
        self.y = monotone([c[x] for x in self.x])

    def __call__(self, elements):
        return piecewise(self.x, self.y, elements)


# --------------------------------------------------------------------------------------------
# composition

class StepModel:
    def __init__(self, systems, gpu, model, tp, dtype, kv_dtype="bfloat16"):
        g = GPUS[gpu]
        self.cfg = MODELS[model]
        self.tp, self.dtype = tp, dtype
        base = os.path.join(systems, "data", g["system"])
        gdir = os.path.join(base, "gemm", "vllm", g["vllm"])
        adir = os.path.join(base, "attention", "vllm", g["vllm"])
        self.paths = {"gemm": gdir, "attention": adir}
        gemm_rows = load_table(os.path.join(gdir, "gemm_perf"))
        gd, gk = GEMM_KERNELS[dtype]
        self.gemm = Gemm(gemm_rows, gd, gk, gdir)
        bd, bk = GEMM_KERNELS["bf16"]
        self.gemm_bf16 = self.gemm if dtype == "bf16" else Gemm(gemm_rows, bd, bk, gdir)
        m = self.cfg
        nh, nkv = m["h"] // tp, max(m["hkv"] // tp, 1)
        self.ctx = ContextAttention(load_table(os.path.join(adir, "context_attention_perf")), nh, nkv, m["dh"], kv_dtype, adir)
        self.gen = GenerationAttention(load_table(os.path.join(adir, "generation_attention_perf")), nh, nkv, m["dh"], kv_dtype, adir)
        self.ar = None
        if tp > 1:
            cdir = os.path.join(base, "comm", "vllm", g["ar"])
            self.paths["allreduce"] = cdir
            self.ar = AllReduce(load_table(os.path.join(cdir, "custom_allreduce_perf")), tp, cdir)

    def kernels(self):
        k = {"gemm": self.gemm.kernel, "lm_head_gemm": self.gemm_bf16.kernel,
             "context_attention": self.ctx.kernel, "generation_attention": self.gen.kernel}
        if self.ar:
            k["allreduce"] = self.ar.kernel
        return k

    def breakdown(self, prefill_tokens, prefill_context, decode_seqs, decode_context):
        m, tp = self.cfg, self.tp
        d, h, hkv, dh, dff, L, V = m["d"], m["h"], m["hkv"], m["dh"], m["dff"], m["L"], m["V"]
        T = prefill_tokens + decode_seqs
        S = decode_seqs + (1 if prefill_tokens > 0 else 0)
        per_layer = {
            "qkv": self.gemm(T, (h + 2 * hkv) * dh // tp, d),
            "o_proj": self.gemm(T, d, h * dh // tp),
            "gate_up": self.gemm(T, 2 * dff // tp, d),
            "down": self.gemm(T, d, dff // tp),
            "ctx_attn": self.ctx(prefill_tokens, prefill_context) if prefill_tokens else 0.0,
            # kv length attended per decode = its context + the new token
            "gen_attn": self.gen(decode_seqs, decode_context / decode_seqs + 1) if decode_seqs else 0.0,
            "allreduce_x2": 2 * self.ar(T * d) if self.ar else 0.0,
        }
        out = {k: L * v for k, v in per_layer.items()}
        out["lm_head"] = self.gemm_bf16(S, V // tp, d) if S else 0.0
        out["total"] = sum(out.values())
        return out

    def step_ms(self, *shape):
        return self.breakdown(*shape)["total"]


def step_shapes():
    rows = []
    for P in [128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 5120, 6144, 7168, 8192]:
        rows.append((P, 0, 0, 0))
    # chunked prefill: later chunks of a long prompt
    for c in [512, 1024, 2048]:
        for p in [1024, 2048, 4096, 6144]:
            rows.append((c, p, 0, 0))
    for B in [1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256]:
        for X in [128, 256, 512, 1024, 2048, 4096, 8192]:
            rows.append((0, 0, B, B * X))
    for c, p in [(256, 0), (512, 0), (1024, 0), (2048, 0), (512, 2048)]:
        for B in [4, 16, 64, 128]:
            for X in [1024, 4096]:
                rows.append((c, p, B, B * X))
    return rows


def weight_bytes(cfg, dtype, tp):
    L, d, h, hkv, dh, dff, V = (cfg[k] for k in ("L", "d", "h", "hkv", "dh", "dff", "V"))
    layer = d * (h + 2 * hkv) * dh + h * dh * d + 3 * d * dff
    bpe = 2 if dtype == "bf16" else 1
    return (L * layer * bpe + 2 * V * d * 2) / tp


def generate(systems, out_dir, gpus, models, dtypes):
    made = []
    for gpu in gpus:
        for model in models:
            cfg = MODELS[model]
            for tp in cfg["tps"]:
                for dtype in dtypes:
                    wb = weight_bytes(cfg, dtype, tp)
                    if wb > 0.9 * GPUS[gpu]["mem"]:
                        print("skip %s %s tp%d %s: weights %.1f GB/GPU do not fit" % (gpu, model, tp, dtype, wb / 1e9))
                        continue
                    try:
                        sm = StepModel(systems, gpu, model, tp, dtype)
                    except (LookupError, FileNotFoundError) as e:
                        print("skip %s %s tp%d %s: %s" % (gpu, model, tp, dtype, e))
                        continue
                    path = os.path.join(out_dir, gpu, "%s-tp%d-%s.csv" % (model, tp, dtype))
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "w", newline="") as f:
                        w = csv.writer(f, lineterminator="\n")
                        w.writerow(HEADER)
                        n = 0
                        for shape in step_shapes():
                            w.writerow(list(shape) + ["%.4f" % sm.step_ms(*shape)])
                            n += 1
                    made.append((path, n, sm.kernels()))
                    print("%s: %d rows  %s" % (path, n, sm.kernels()))
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", required=True, help="aiconfigurator_core/systems folder of the unpacked wheel")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "data", "kernels"))
    ap.add_argument("--all", action="store_true", help="write every GPU x model x tp x dtype CSV")
    ap.add_argument("--gpu", action="append", choices=sorted(GPUS))
    ap.add_argument("--model", action="append", choices=sorted(MODELS))
    ap.add_argument("--dtype", action="append", choices=sorted(GEMM_KERNELS))
    ap.add_argument("--tp", type=int, default=1)
    ap.add_argument("--query", help="prefill_tokens,prefill_context,decode_seqs,decode_context: print a breakdown")
    a = ap.parse_args()
    if a.query:
        shape = [int(x) for x in a.query.split(",")]
        sm = StepModel(a.systems, (a.gpu or ["h100-sxm"])[0], (a.model or ["llama-3.1-8b"])[0], a.tp, (a.dtype or ["bf16"])[0])
        print(sm.kernels())
        for k, v in sm.breakdown(*shape).items():
            print("%-14s %9.4f ms" % (k, v))
        return
    gpus = a.gpu or sorted(g for g in GPUS if not GPUS[g].get("extra"))
    models = a.model or sorted(MODELS)
    dtypes = a.dtype or ["bf16", "fp8"]
    generate(a.systems, a.out, gpus, models, dtypes)


if __name__ == "__main__":
    main()
