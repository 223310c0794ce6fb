#!/usr/bin/python3
"""PyTorch CPU implementation of capmin's BNN evaluation semantics for VGG3 (docs/bnn.md), the baseline of
bench/engine.ts. Reads the same safetensors checkpoint and Fashion-MNIST IDX files, and times:

- dense:   the plain path — conv2d / matmul on ±1 values (zero padding contributes 0), error-free only;
- chunked: sub-MACs of a = 32 cells in im2col order (C_in, kh, kw) / flatten order, inactive padding cells,
           level m = conducting cells (active cells with weight != input), clip to [lo, hi], then one P_map draw
           per chunk (alias method, one uniform per chunk), contribution n_active - 2 m'; first layer error-free.

The first layer runs in float64 in the engine's accumulation order (each kernel row left to right, rows added in
(c, ky) order), so error-free and clipped accuracies agree exactly with capmin. Prints one JSON object.

  /usr/bin/python3 bench/torch_engine.py --model M.safetensors --images N [--fmac-images M] [--clip lo,hi]
                                         [--pmap P.json] [--threads 2] [--data-dir DIR]
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

A = 32
DTYPES = {"F32": np.float32, "F64": np.float64, "I8": np.int8, "U8": np.uint8, "I64": np.int64, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for k, v in header.items():
        a, b = v["data_offsets"]
        arr = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
        out[k.removeprefix("module.")] = arr
    return out, meta


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def find(dirname, stem):
    for name in (stem, stem + ".gz"):
        p = os.path.join(dirname, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"torch_engine: {stem}[.gz] not found in {dirname}")


def load_images(dirname, split, n):
    stem = "train" if split == "train" else "t10k"
    x = read_idx(find(dirname, f"{stem}-images-idx3-ubyte"))[:n]
    y = read_idx(find(dirname, f"{stem}-labels-idx1-ubyte"))[:n]
    # float32 p/255 (as capmin's loader), then float64 in the first layer
    return torch.from_numpy(x.astype(np.float32)).div_(255.0).unsqueeze(1), torch.from_numpy(y.astype(np.int64))


def sign(t):
    # +1 for x > 0, else -1 (weights and activations)
    one = torch.ones((), dtype=t.dtype)
    return torch.where(t > 0, one, -one)


class Vgg3:
    def __init__(self, sd, exact_first=False):
        self.exact_first = exact_first
        self.w1 = sign(torch.from_numpy(sd["conv1.weight"].astype(np.float64)))          # [64,1,3,3]
        self.w2 = sign(torch.from_numpy(sd["conv2.weight"].astype(np.float32)))          # [64,64,3,3]
        self.w3 = sign(torch.from_numpy(sd["fc1.weight"].astype(np.float32)))            # [2048,3136]
        self.w4 = sign(torch.from_numpy(sd["fc2.weight"].astype(np.float32)))            # [10,2048]
        self.scale = float(sd["scale.scale"].astype(np.float64).reshape(-1)[0])
        self.bn = []
        for i in (1, 2, 3):
            g = lambda k: torch.from_numpy(sd[f"bn{i}.{k}"].astype(np.float64))
            self.bn.append((g("running_mean"), torch.sqrt(g("running_var") + 1e-5), g("weight"), g("bias")))
        # chunk-major weights for batched matmuls (a = 32): conv2 576 = 18 chunks, fc1 3136 = 98, fc2 2048 = 64
        self.w2c = self.w2.reshape(64, 18, A).permute(1, 0, 2).contiguous()     # [18, 64, 32]
        self.w3c = self.w3.reshape(2048, 98, A).permute(1, 0, 2).contiguous()   # [98, 2048, 32]
        self.w4c = self.w4.reshape(10, 64, A).permute(1, 0, 2).contiguous()     # [64, 10, 32]
        self.act2 = None

    def bn_sign(self, x, i):
        mu, sd, g, b = self.bn[i]
        shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
        y = ((x.double() - mu.view(shape)) / sd.view(shape)) * g.view(shape) + b.view(shape)
        return sign(y).float()

    def first(self, x):
        if not self.exact_first:
            return F.conv2d(x.double(), self.w1, padding=1)
        # float64 first layer in the engine's order: r = (w0 x0 + w1 x1) + w2 x2 per kernel row, rows summed in order
        cols = F.unfold(x.double(), 3, padding=1)                # [N, 9, 784]
        w = self.w1.reshape(64, 9)
        s = None
        for ky in range(3):
            r = (w[:, 3 * ky, None] * cols[:, None, 3 * ky] + w[:, 3 * ky + 1, None] * cols[:, None, 3 * ky + 1]) \
                + w[:, 3 * ky + 2, None] * cols[:, None, 3 * ky + 2]
            s = r if s is None else s + r
        return s.reshape(-1, 64, 28, 28)

    def dense(self, x):
        h = self.bn_sign(F.max_pool2d(F.conv2d(x.double(), self.w1, padding=1), 2), 0)
        h = self.bn_sign(F.max_pool2d(F.conv2d(h, self.w2, padding=1), 2), 1)
        h = self.bn_sign(h.flatten(1) @ self.w3.t(), 2)
        return (h @ self.w4.t()).double() * self.scale

    def im2col(self, h):
        """[N, C, 14, 14] -> [N, C*9, 196] in (C_in, kh, kw) order from 9 shifted views (faster than F.unfold here)."""
        n, c, hh, ww = h.shape
        hp = F.pad(h, (1, 1, 1, 1))
        cols = torch.stack([hp[:, :, ky:ky + hh, kx:kx + ww] for ky in range(3) for kx in range(3)], 2)
        return cols.reshape(n, c * 9, hh * ww)

    def chunked(self, x, read, hist=None):
        """read(m) -> m' maps a tensor of levels to read levels (identity, clip, P_map draw)."""
        h = self.bn_sign(F.max_pool2d(self.first(x), 2), 0)
        n = h.shape[0]
        # conv2: im2col (C_in, kh, kw) order, zero padding = inactive cells; every chunk of every position at once
        cols = self.im2col(h).view(n, 18, A, 196)
        if self.act2 is None:
            # active cells per chunk and position depend only on the padding (activations are ±1 elsewhere)
            self.act2 = (self.im2col(torch.ones_like(h[:1])) != 0).view(1, 18, A, 196).sum(2, keepdim=True).float()
        act = self.act2                                                      # [1, 18, 1, 196]
        m = (act - torch.matmul(self.w2c.unsqueeze(0), cols)) * 0.5         # conducting cells [N, 18, 64, 196]
        if hist is not None:
            hist[0] += torch.bincount(m.flatten().long(), minlength=A + 1)
        y = (act - 2 * read(m)).sum(1).reshape(n, 64, 14, 14)
        h = self.bn_sign(F.max_pool2d(y, 2), 1)
        x3 = h.flatten(1).reshape(n, 98, A).permute(1, 2, 0)                 # [98, 32, N]
        m = (A - torch.bmm(self.w3c, x3)) * 0.5                              # [98, 2048, N]
        if hist is not None:
            hist[1] += torch.bincount(m.flatten().long(), minlength=A + 1)
        h = self.bn_sign((A - 2 * read(m)).sum(0).t(), 2)
        x4 = h.reshape(n, 64, A).permute(1, 2, 0)                            # [64, 32, N]
        m = (A - torch.bmm(self.w4c, x4)) * 0.5                              # [64, 10, N]
        if hist is not None:
            hist[2] += torch.bincount(m.flatten().long(), minlength=A + 1)
        return (A - 2 * read(m)).sum(0).t().double() * self.scale


def alias_tables(p):
    """Walker/Vose alias tables of every row (K outcomes)."""
    K = len(p)
    prob = np.zeros((K, K))
    alias = np.zeros((K, K), dtype=np.int64)
    for r, row in enumerate(p):
        scaled = [v * K for v in row]
        small = [i for i, v in enumerate(scaled) if v < 1]
        large = [i for i, v in enumerate(scaled) if v >= 1]
        while small and large:
            s, l = small.pop(), large.pop()
            prob[r, s], alias[r, s] = scaled[s], l
            scaled[l] += scaled[s] - 1
            (small if scaled[l] < 1 else large).append(l)
        for i in large + small:
            prob[r, i], alias[r, i] = 1.0, i
    return torch.from_numpy(prob.reshape(-1)), torch.from_numpy(alias.reshape(-1))


def make_read(clip, pmap, gen):
    K = A + 1
    lo, hi = clip if clip else (0, A)
    tables = alias_tables(pmap) if pmap is not None else None

    def read(m):
        if clip:
            m = m.clamp(lo, hi)
        if tables is None:
            return m
        prob, alias = tables
        u = torch.rand(m.shape, generator=gen, dtype=torch.float64) * K      # one uniform per chunk
        col = u.floor()
        idx = (m.long() * K + col.long())
        keep = (u - col) < prob.take(idx)
        return torch.where(keep, col, alias.take(idx).double()).to(m.dtype)

    return read


def timed(fn):
    t = time.perf_counter()
    v = fn()
    return v, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--fmac-images", type=int, default=60000)
    ap.add_argument("--clip", default="9,22")
    ap.add_argument("--pmap", default=None, help="JSON (a+1)x(a+1) matrix indexed by level m")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--exact-first", action="store_true", help="first layer in the engine's float64 summation order (slow)")
    ap.add_argument("--data-dir", default=os.environ.get("CAPMIN_FASHION_DIR", "/usr/share/datasets/fashion-mnist"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sd, meta = read_safetensors(args.model)
    if meta.get("arch", "vgg3") != "vgg3":
        raise SystemExit("torch_engine: only the VGG3 checkpoint is implemented")
    net = Vgg3(sd, args.exact_first)
    clip = tuple(int(v) for v in args.clip.split(","))
    pmap = json.load(open(args.pmap)) if args.pmap else None
    x, y = load_images(args.data_dir, "test", args.images)
    gen = torch.Generator().manual_seed(1)
    B = args.batch

    def run(fn):
        correct = 0
        with torch.no_grad():
            for i in range(0, len(x), B):
                correct += int((fn(x[i:i + B]).argmax(1) == y[i:i + B]).sum())
        return correct

    res = {"images": len(x), "threads": args.threads, "torch": torch.__version__, "rows": {}}
    settings = [
        ("dense", lambda b: net.dense(b)),
        ("chunked", lambda b: net.chunked(b, make_read(None, None, gen))),
        ("clip", lambda b: net.chunked(b, make_read(clip, None, gen))),
    ]
    if pmap is not None:
        settings += [
            ("pmap", lambda b: net.chunked(b, make_read(None, pmap, gen))),
            ("clip_pmap", lambda b: net.chunked(b, make_read(clip, pmap, gen))),
        ]
    for key, fn in settings:
        correct, sec = timed(lambda: run(fn))
        res["rows"][key] = {"seconds": sec, "correct": correct, "accuracy": correct / len(x)}
    if args.fmac_images > 0:
        xt, yt = load_images(args.data_dir, "train", args.fmac_images)
        hist = [torch.zeros(A + 1, dtype=torch.int64) for _ in range(3)]

        def fmac():
            correct = 0
            ident = make_read(None, None, gen)
            with torch.no_grad():
                for i in range(0, len(xt), B):
                    correct += int((net.chunked(xt[i:i + B], ident, hist).argmax(1) == yt[i:i + B]).sum())
            return correct

        correct, sec = timed(fmac)
        res["rows"]["fmac"] = {"seconds": sec, "correct": correct, "accuracy": correct / len(xt), "images": len(xt),
                               "layers": [h.tolist() for h in hist]}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
