"""Benchmark: plain and tiled attention of snippets/transformer.py against
torch.nn.functional.scaled_dot_product_attention on the CPU.

Run from the repository root:  .venv/bin/python benchmarks/transformer.py

For one head of d = 64 in float32 at several lengths L, prints the median time
of repeated calls of plain_attention (which holds the (L, L) scores),
tiled_attention (tiles of 128, one (tile, tile) block of scores at a time) and
PyTorch's fused kernel, the contenders interleaved so that drift in machine
load affects them alike, and the ratios to PyTorch. The chapter teaches the
counts behind these times (bytes held and moved); the times themselves depend
on the machine, its BLAS and its thread count.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import compare

from snippets.transformer import plain_attention, tiled_attention


def main() -> None:
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    print(f"torch threads: {torch.get_num_threads()}")
    d, tile = 64, 128
    print("   L    plain (ms)  tiled (ms)  torch (ms)  plain/torch  tiled/torch")
    for length in (256, 1024, 4096):
        rng = np.random.default_rng(0)
        q, k, v = rng.normal(size=(3, length, d)).astype(np.float32)
        tq, tk, tv = (torch.from_numpy(a)[None] for a in (q, k, v))
        ours = plain_attention(q, k, v)
        theirs = F.scaled_dot_product_attention(tq, tk, tv)[0].numpy()
        assert np.allclose(ours, theirs, atol=1e-4)
        assert np.allclose(tiled_attention(q, k, v, tile), ours, atol=1e-4)
        repeats = 5 if length < 4096 else 2
        times = compare(
            {
                "plain": lambda q=q, k=k, v=v: plain_attention(q, k, v),
                "tiled": lambda q=q, k=k, v=v: tiled_attention(q, k, v, tile),
                "torch": lambda a=(tq, tk, tv): F.scaled_dot_product_attention(*a),
            },
            repeats=repeats,
        )
        p, t, s = times["plain"], times["tiled"], times["torch"]
        print(
            f"{length:5d} {p * 1e3:12.2f} {t * 1e3:11.2f} {s * 1e3:11.2f}"
            f" {p / s:12.1f} {t / s:12.1f}"
        )


if __name__ == "__main__":
    main()
