"""Benchmark: randomized_svd of snippets/low_rank.py against np.linalg.svd and
torch.svd_lowrank.

Run from the repository root:  .venv/bin/python benchmarks/low_rank.py

A 2048 x 2048 float64 matrix with singular values 1/(i + 1)^2, rank 32, 10
columns of oversampling and 2 power iterations for both randomized methods
(torch.svd_lowrank with q=42, niter=2). Prints the median times of the three,
interleaved, and the spectral error of each rank-32 approximation divided by
the optimal one (the 33rd singular value). Targets: at least 10 times faster
than np.linalg.svd, at most 2 times torch.svd_lowrank's time, and an error
within 1.5 times the optimum.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import compare

from snippets.low_rank import randomized_svd

N, RANK, OVERSAMPLE, POWER_ITERS = 2048, 32, 10, 2


def decaying_matrix(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A matrix (n, n) with singular values 1/(i + 1)^2, and those values."""
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = 1.0 / np.arange(1, n + 1) ** 2
    return (u * s) @ v.T, s


def main() -> None:
    a, s = decaying_matrix(N)
    a_torch = torch.from_numpy(a)

    def ours():
        return randomized_svd(a, RANK, OVERSAMPLE, POWER_ITERS)

    def theirs():
        torch.manual_seed(0)
        return torch.svd_lowrank(a_torch, q=RANK + OVERSAMPLE, niter=POWER_ITERS)

    def full():
        return np.linalg.svd(a, full_matrices=False)

    times = compare({"ours": ours, "torch": theirs, "numpy": full}, repeats=3)
    u, s_r, vt = ours()
    ours_error = np.linalg.norm(a - (u * s_r) @ vt, 2) / s[RANK]
    tu, ts, tv = theirs()
    approx = (tu[:, :RANK] * ts[:RANK]) @ tv[:, :RANK].T
    torch_error = np.linalg.norm(a - approx.numpy(), 2) / s[RANK]
    print(
        f"rank-{RANK} SVD of a {N} x {N} float64 matrix, s_i = 1/(i+1)^2, "
        f"{torch.get_num_threads()} threads"
    )
    for name in ["numpy", "ours", "torch"]:
        print(f"  {name:6s} {times[name] * 1e3:9.1f} ms (median)")
    print(f"np.linalg.svd / ours:     {times['numpy'] / times['ours']:6.1f} (target >= 10)")
    print(f"ours / torch.svd_lowrank: {times['ours'] / times['torch']:6.2f} (target <= 2)")
    print(
        f"spectral error / optimal: ours {ours_error:.3f}, torch {torch_error:.3f} (target <= 1.5)"
    )


if __name__ == "__main__":
    main()
