"""Benchmark: snippets/einsum.py against np.einsum and PyTorch's attention.

Run from the repository root:  .venv/bin/python benchmarks/einsum.py

1. 'ij,jk,kl,lm->im' with i=j=k=l=64, m=16 in float64: the from-scratch einsum
   against np.einsum without optimization and with optimize='greedy'.
2. Attention with (B, H, L, d) = (8, 8, 256, 64) in float32: the from-scratch
   attention (two einsums and a softmax, in NumPy) against
   torch.nn.functional.scaled_dot_product_attention on the CPU, and against
   torch.einsum with torch.softmax, which makes the same passes over memory.

Each figure is the median of repeated runs, the contenders interleaved so that
drift in machine load affects them alike. The load average at the start is
printed too: on a busy machine the ratios mean little.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import compare, median_seconds

from snippets.einsum import attention, einsum


def torch_einsum_attention(q, k, v):
    """The from-scratch formula in PyTorch: scores, softmax, weighted values."""
    scores = torch.einsum("bhqd,bhkd->bhqk", q / math.sqrt(q.shape[-1]), k)
    return torch.einsum("bhqk,bhkd->bhqd", torch.softmax(scores, dim=-1), v)


def report(times: dict[str, float], unit: float, name: str) -> None:
    """One line per contender: its time and its ratio to ours."""
    ours = times["ours"]
    for contender, seconds in times.items():
        ratio = "" if contender == "ours" else f"   ours / this = {ours / seconds:.3g}"
        print(f"  {contender:32s} {seconds / unit:10.2f} {name}{ratio}")


def main() -> None:
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    rng = np.random.default_rng(0)
    chain = "ij,jk,kl,lm->im"
    operands = [rng.normal(size=s) for s in [(64, 64), (64, 64), (64, 64), (64, 16)]]
    times = compare(
        {
            "ours": lambda: einsum(chain, *operands),
            "np.einsum(optimize='greedy')": lambda: np.einsum(chain, *operands, optimize="greedy"),
        },
        repeats=200,
    )
    times["np.einsum(optimize=False)"] = median_seconds(
        lambda: np.einsum(chain, *operands, optimize=False), repeats=3
    )
    print(f"{chain}, i=j=k=l=64, m=16, float64")
    report(times, 1e-6, "us")

    q, k, v = (rng.normal(size=(8, 8, 256, 64)).astype(np.float32) for _ in range(3))
    qt, kt, vt = (torch.from_numpy(t) for t in (q, k, v))
    out, _ = attention(q, k, v)
    assert out.dtype == np.float32  # float32 throughout, as torch
    np.testing.assert_allclose(out, torch_einsum_attention(qt, kt, vt), atol=1e-5)
    times = compare(
        {
            "ours": lambda: attention(q, k, v),
            "scaled_dot_product_attention": lambda: (
                torch.nn.functional.scaled_dot_product_attention(qt, kt, vt)
            ),
            "torch.einsum + torch.softmax": lambda: torch_einsum_attention(qt, kt, vt),
        },
        repeats=9,
        rounds=7,
    )
    print(
        f"attention, (B, H, L, d) = (8, 8, 256, 64), float32, "
        f"{torch.get_num_threads()} torch threads, {os.cpu_count()} cores"
    )
    report(times, 1e-3, "ms")


if __name__ == "__main__":
    main()
