"""Benchmark: BatchNorm2d of snippets/normalization.py against torch.nn.BatchNorm2d.

Run from the repository root:  .venv/bin/python benchmarks/normalization.py

Times one training-mode forward and backward pass on a (32, 64, 32, 32) float32
batch, for both, interleaved, and prints the medians and their ratio (ours /
PyTorch's). The numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import compare

from snippets.normalization import BatchNorm2d


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

    times = compare({"ours": ours_step, "torch": torch_step}, repeats=10)
    a, b = times["ours"], times["torch"]
    print(
        f"BatchNorm2d forward+backward, (32, 64, 32, 32) float32, {torch.get_num_threads()} threads"
    )
    print(f"ours {a * 1e3:.2f} ms, torch {b * 1e3:.2f} ms, ratio {a / b:.2f}")


if __name__ == "__main__":
    main()
