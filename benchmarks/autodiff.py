"""Benchmarks of the autodiff chapter's engines (snippets/forward_mode.py, reverse_mode.py).

Run from the repository root:

    .venv/bin/python benchmarks/autodiff.py            # ours against torch.autograd
    .venv/bin/python benchmarks/autodiff.py jacobian   # writes benchmarks/data/autodiff-cost.json

The first: one training step's forward and backward pass of an MLP, batch 256,
layers 512 -> 512 -> 512 -> 10 with ReLU, mean squared error, float64, with the
same He-initialized weights in both engines (so the loss is of order one).
Prints the medians of interleaved repeated runs and their ratio (ours /
PyTorch's; the target is at most 1.5).

The second times the full Jacobian of f(x) = W2 tanh(W1 x) (32 hidden units)
with our forward and reverse mode and with torch.func's jacfwd and jacrev, for a
growing number of inputs n (m = 1) and of outputs m (n = 16), on one thread, in
processor time (which the machine's other work does not inflate), and records
the results with the machine that measured them. The chapter's figure
(docs/figures/autodiff.py) plots that file: no timing is taken while the site
is built, where the machine's load would show in the figure.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import compare

import snippets.forward_mode as fm
import snippets.reverse_mode as rm
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


HIDDEN = 32
SIZES_JACOBIAN = [4, 16, 64, 256]
COST_FILE = Path(__file__).resolve().parent / "data" / "autodiff-cost.json"


def jacobian_runs(n: int, m: int) -> dict:
    """The four ways to compute the (m, n) Jacobian of W2 tanh(W1 x), by name."""
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 1 / np.sqrt(n), size=(HIDDEN, n))
    w2 = rng.normal(0, 1 / np.sqrt(HIDDEN), size=(m, HIDDEN))
    x = rng.normal(size=n)
    w1_t, w2_t, x_t = torch.from_numpy(w1), torch.from_numpy(w2), torch.from_numpy(x)

    def f_torch(v):
        return w2_t @ torch.tanh(w1_t @ v)

    return {
        "ours, forward (n JVPs)": lambda: fm.jacobian_forward(lambda v: w2 @ fm.tanh(w1 @ v), x),
        "ours, reverse (m VJPs)": lambda: rm.jacobian_reverse(
            lambda v: rm.Tensor(w2) @ rm.tanh(rm.Tensor(w1) @ v), x
        ),
        "torch.func.jacfwd": lambda: torch.func.jacfwd(f_torch)(x_t),
        "torch.func.jacrev": lambda: torch.func.jacrev(f_torch)(x_t),
    }


def machine() -> str:
    """The processor, as the operating system names it, and the threads used."""
    name = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    return f"{name}, {os.cpu_count()} cores, {platform.system()}"


def median_cpu_seconds(function, repeats: int) -> float:
    """Median processor time of ``function()`` over ``repeats`` runs, after a warm-up.

    Processor time, not wall time: on a busy machine a run that takes longer
    than a time slice waits for the processor while others run, and its wall
    time grows with the machine's load; the time it spends computing does not.
    """
    function()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return statistics.median(times)


def fastest_round(contenders: dict, repeats: int, rounds: int) -> dict[str, float]:
    """Processor seconds of each contender: the median of ``repeats`` runs, in
    ``rounds`` rounds that alternate the contenders, and of those the fastest."""
    results = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, function in contenders.items():
            results[name].append(median_cpu_seconds(function, repeats))
    return {name: min(times) for name, times in results.items()}


def jacobian_cost(repeats: int = 7, rounds: int = 5) -> dict:
    """Seconds for each way, as the inputs and then the outputs grow."""
    torch.set_num_threads(1)  # one thread: steadier, and the same for every contender
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    results = {}
    for vary in ("n", "m"):
        series = {}
        for size in SIZES_JACOBIAN:
            n, m = (size, 1) if vary == "n" else (16, size)
            for name, seconds in fastest_round(jacobian_runs(n, m), repeats, rounds).items():
                series.setdefault(name, []).append(seconds)
            print(f"{vary} = {size}: done", flush=True)
        results[vary] = series
    return {
        "what": "processor seconds (one thread) for the full Jacobian of f(x) = W2 tanh(W1 x), "
        "32 hidden units, float64; the fastest of interleaved rounds, each the median "
        "of repeated runs",
        "machine": machine(),
        "threads": torch.get_num_threads(),
        "load_average_at_start": None if load is None else round(load, 1),
        "software": f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"PyTorch {torch.__version__}",
        "date": datetime.date.today().isoformat(),
        "sizes": SIZES_JACOBIAN,
        "vary_n": {"m": 1, "seconds": results["n"]},
        "vary_m": {"n": 16, "seconds": results["m"]},
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["jacobian"]:
        COST_FILE.parent.mkdir(exist_ok=True)
        COST_FILE.write_text(json.dumps(jacobian_cost(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {COST_FILE}")
    else:
        main()
