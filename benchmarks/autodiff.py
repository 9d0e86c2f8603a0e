"""Benchmark: the reverse-mode engine of snippets/reverse_mode.py against torch.autograd.

Run from the repository root:  .venv/bin/python benchmarks/autodiff.py

One training step's forward and backward pass of an MLP, batch 256, layers
512 -> 512 -> 512 -> 10 with ReLU, mean squared error, float64, with the same
He-initialized weights in both engines (so the loss is of order one). Prints
the medians of interleaved repeated runs and their ratio (ours / PyTorch's;
the target is at most 1.5).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import compare

from snippets.reverse_mode import Tensor

SIZES = [512, 512, 512, 10]


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, SIZES[0]))
    y = rng.normal(size=(256, SIZES[-1]))
    # He initialization, weights stored (in, out) so that a layer is h @ W.
    weights = [
        rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        for n_in, n_out in itertools.pairwise(SIZES)
    ]
    ours_w = [Tensor(w, requires_grad=True) for w in weights]
    torch_w = [torch.tensor(w, requires_grad=True) for w in weights]
    torch_x, torch_y = torch.from_numpy(x), torch.from_numpy(y)

    def ours():
        h = Tensor(x)
        for k, w in enumerate(ours_w):
            h = h @ w
            if k < len(ours_w) - 1:
                h = h.relu()
        loss = ((h - y) ** 2).mean()
        for w in ours_w:
            w.zero_grad()
        loss.backward()
        return loss.data

    def theirs():
        h = torch_x
        for k, w in enumerate(torch_w):
            h = h @ w
            if k < len(torch_w) - 1:
                h = torch.relu(h)
        loss = ((h - torch_y) ** 2).mean()
        for w in torch_w:
            w.grad = None
        loss.backward()
        return loss.item()

    print(f"loss: ours {float(ours()):.6f}, torch {theirs():.6f}")
    times = compare({"ours": ours, "torch": theirs}, repeats=10)
    a, b = times["ours"], times["torch"]
    print(f"MLP 512-512-512-10, batch 256, float64, {torch.get_num_threads()} threads")
    print(f"ours {a * 1e3:.2f} ms, torch.autograd {b * 1e3:.2f} ms, ours / torch = {a / b:.2f}")


if __name__ == "__main__":
    main()
