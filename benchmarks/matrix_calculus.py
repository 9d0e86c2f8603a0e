"""Benchmark: the hand-written attention backward of snippets/matrix_calculus.py
against PyTorch's autograd through scaled_dot_product_attention.

Run from the repository root:  .venv/bin/python benchmarks/matrix_calculus.py
(add ``--threads N`` to give NumPy's BLAS and PyTorch N threads each; the
default is every core).

1. Attention with (B, H, L, d) = (8, 8, 256, 64) in float32. Times the
   backward pass alone, given what the forward pass saved (ours:
   ``attention_backward``; PyTorch: ``out.backward(grad, retain_graph=True)``
   on the output of ``torch.nn.functional.scaled_dot_product_attention``),
   and a whole forward and backward pass. The target is a ratio (ours /
   PyTorch's) of at most 2.
2. The cost of a backward rule: a linear layer's forward product against its
   backward pass (two products of the same size, so about twice the FLOPs),
   (N, in, out) = (1024, 1024, 1024) in float32, in NumPy.

Each figure is the median of repeated runs, the contenders interleaved so that
drift in machine load affects them alike. Both libraries get the same number of
threads. On a machine that other jobs share, use ``--threads 1``: OpenBLAS's
threads wait for each other by spinning, and on oversubscribed cores NumPy's
products then slow down many times over, PyTorch's much less.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _threads() -> int:
    """The --threads N argument, or the number of cores."""
    if "--threads" in sys.argv:
        return int(sys.argv[sys.argv.index("--threads") + 1])
    return os.cpu_count() or 1


# OpenBLAS reads its thread count when NumPy is first imported.
THREADS = _threads()
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(THREADS)

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import compare  # noqa: E402

from snippets.matrix_calculus import (  # noqa: E402
    attention,
    attention_backward,
    linear,
    linear_backward,
)

SHAPE = (8, 8, 256, 64)


def attention_case() -> None:
    rng = np.random.default_rng(0)
    q, k, v, grad = (rng.normal(size=SHAPE).astype(np.float32) for _ in range(4))
    out, p = attention(q, k, v)
    qt, kt, vt = (torch.from_numpy(t).requires_grad_() for t in (q, k, v))
    grad_t = torch.from_numpy(grad)
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt)

    def torch_backward():
        for t in (qt, kt, vt):
            t.grad = None
        out_t.backward(grad_t, retain_graph=True)

    def ours_both():
        attention_backward(q, k, v, *attention(q, k, v), grad)

    def torch_both():
        for t in (qt, kt, vt):
            t.grad = None
        torch.nn.functional.scaled_dot_product_attention(qt, kt, vt).backward(grad_t)

    backward = compare(
        {
            "ours": lambda: attention_backward(q, k, v, out, p, grad),
            "torch": torch_backward,
        },
        repeats=10,
    )
    both = compare({"ours": ours_both, "torch": torch_both}, repeats=10)
    print(
        f"attention, (B, H, L, d) = {SHAPE}, float32, "
        f"{torch.get_num_threads()} threads (target: ours / torch <= 2)"
    )
    for name, times in [("backward", backward), ("forward + backward", both)]:
        a, b = times["ours"], times["torch"]
        print(
            f"  {name:19s} ours {a * 1e3:7.2f} ms, torch {b * 1e3:7.2f} ms, "
            f"ours / torch = {a / b:.2f}"
        )


def linear_case() -> None:
    rng = np.random.default_rng(0)
    n = 1024
    x, weight, grad = (rng.normal(size=(n, n)).astype(np.float32) for _ in range(3))
    times = compare(
        {
            "forward": lambda: linear(x, weight),
            "backward": lambda: linear_backward(x, weight, grad),
        },
        repeats=10,
    )
    a, b = times["forward"], times["backward"]
    print(f"linear layer, (N, in, out) = ({n}, {n}, {n}), float32, NumPy")
    print(
        f"  forward {a * 1e3:.2f} ms, backward {b * 1e3:.2f} ms, "
        f"backward / forward = {b / a:.2f} (FLOPs: 2.00)"
    )


def main() -> None:
    torch.set_num_threads(THREADS)
    attention_case()
    linear_case()


if __name__ == "__main__":
    main()
