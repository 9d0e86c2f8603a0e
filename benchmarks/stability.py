"""Benchmark: the stable reductions of snippets/stability.py against SciPy.

Run from the repository root:  .venv/bin/python benchmarks/stability.py

Prints the median time of repeated runs for each implementation, their ratio
(ours / SciPy's; the target is at most 1.2), and the peak memory that
streaming_logsumexp allocates over 10^8 values in blocks of 10^6 (target: under
100 MB), measured with tracemalloc.
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.special

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import compare

from snippets.stability import logsumexp, softmax, streaming_logsumexp


def compare_reductions() -> None:
    x = np.random.default_rng(0).normal(scale=10.0, size=(1024, 4096)).astype(np.float32)
    cases = {
        "softmax, axis=-1": (
            lambda: softmax(x, axis=-1),
            lambda: scipy.special.softmax(x, axis=-1),
        ),
        "logsumexp, axis=-1": (
            lambda: logsumexp(x, axis=-1),
            lambda: scipy.special.logsumexp(x, axis=-1),
        ),
    }
    print("(1024, 4096) float32      ours (ms)  SciPy (ms)  ratio")
    for name, (ours, theirs) in cases.items():
        times = compare({"ours": ours, "scipy": theirs}, repeats=5)
        a, b = times["ours"], times["scipy"]
        print(f"{name:24s} {a * 1e3:10.2f} {b * 1e3:11.2f} {a / b:6.2f}")


def streaming_memory() -> None:
    block, count = 10**6, 100

    def blocks():
        rng = np.random.default_rng(0)
        for _ in range(count):
            yield rng.normal(scale=10.0, size=block)

    tracemalloc.start()
    result = streaming_logsumexp(blocks())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"streaming_logsumexp over {block * count:.0e} values in blocks of {block:.0e}: "
        f"{result:.6f}, peak traced memory {peak / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    compare_reductions()
    streaming_memory()
