"""Benchmark: BatchNorm2d of snippets/normalization.py against torch.nn.BatchNorm2d.

Run from the repository root:  .venv/bin/python benchmarks/normalization.py

Times one training-mode forward and backward pass on a (32, 64, 32, 32) float32
batch, for both, interleaved, and prints the medians and their ratio (ours /
PyTorch's; the target is at most 2).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snippets.normalization import BatchNorm2d


def median_seconds(function, repeats: int = 10) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 64, 32, 32)).astype(np.float32)
    dy = rng.normal(size=x.shape).astype(np.float32)
    ours = BatchNorm2d(64)
    theirs = torch.nn.BatchNorm2d(64)
    x_torch = torch.from_numpy(x).requires_grad_()
    dy_torch = torch.from_numpy(dy)

    def ours_step():
        ours.forward(x)
        ours.backward(dy)

    def torch_step():
        x_torch.grad = None
        theirs(x_torch).backward(dy_torch)

    t_ours, t_torch = [], []
    for _ in range(3):  # interleaved, so drift in machine load affects both alike
        t_ours.append(median_seconds(ours_step))
        t_torch.append(median_seconds(torch_step))
    a, b = statistics.median(t_ours), statistics.median(t_torch)
    print(
        f"BatchNorm2d forward+backward, (32, 64, 32, 32) float32, {torch.get_num_threads()} threads"
    )
    print(f"ours {a * 1e3:.2f} ms, torch {b * 1e3:.2f} ms, ratio {a / b:.2f}")


if __name__ == "__main__":
    main()
