"""Benchmark: snippets/einsum.py against np.einsum and PyTorch's attention.

Run from the repository root:  .venv/bin/python benchmarks/einsum.py

1. 'ij,jk,kl,lm->im' with i=j=k=l=64, m=16 in float64: our einsum against
   np.einsum without optimization (target: ours at least 100x faster) and with
   optimize='greedy' (target: ours at most 2x slower).
2. Attention with (B, H, L, d) = (8, 8, 256, 64) in float32 against
   torch.nn.functional.scaled_dot_product_attention on the CPU (target: at most
   2x slower): the median over rounds of the ratio ours / torch, each round
   timing both, one after the other, with medians of 9 calls.

Each figure is the median of repeated runs, the contenders interleaved so that
drift in machine load affects them alike. The load average at the start is
printed too: on a busy machine the ratios mean little.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import compare, median_seconds

from snippets.einsum import attention, einsum


def main() -> None:
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    rng = np.random.default_rng(0)
    chain = "ij,jk,kl,lm->im"
    operands = [rng.normal(size=s) for s in [(64, 64), (64, 64), (64, 64), (64, 16)]]
    fast = compare(
        {
            "ours": lambda: einsum(chain, *operands),
            "greedy": lambda: np.einsum(chain, *operands, optimize="greedy"),
        },
        repeats=200,
    )
    naive = median_seconds(lambda: np.einsum(chain, *operands, optimize=False), repeats=3)
    print(f"{chain}, i=j=k=l=64, m=16, float64")
    print(f"  ours                            {fast['ours'] * 1e6:10.1f} us")
    print(
        f"  np.einsum(optimize='greedy')    {fast['greedy'] * 1e6:10.1f} us   "
        f"ours / greedy = {fast['ours'] / fast['greedy']:.2f}"
    )
    print(
        f"  np.einsum(optimize=False)       {naive * 1e6:10.1f} us   "
        f"naive / ours = {naive / fast['ours']:.0f}"
    )

    q, k, v = (rng.normal(size=(8, 8, 256, 64)).astype(np.float32) for _ in range(3))
    qt, kt, vt = (torch.from_numpy(t) for t in (q, k, v))
    out, _ = attention(q, k, v)
    assert out.dtype == np.float32  # float32 throughout, as torch
    ours, theirs = [], []
    for _ in range(21):  # rounds: ours then torch, so both see the same load
        ours.append(median_seconds(lambda: attention(q, k, v), repeats=9))
        theirs.append(
            median_seconds(
                lambda: torch.nn.functional.scaled_dot_product_attention(qt, kt, vt), repeats=9
            )
        )
    ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    print(
        f"attention, (B, H, L, d) = (8, 8, 256, 64), float32, "
        f"{torch.get_num_threads()} torch threads, {os.cpu_count()} cores"
    )
    print(
        f"  ours {statistics.median(ours) * 1e3:.2f} ms, "
        f"torch {statistics.median(theirs) * 1e3:.2f} ms, "
        f"median ratio ours / torch = {ratio:.2f} (target: at most 2)"
    )


if __name__ == "__main__":
    main()
