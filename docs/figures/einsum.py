"""Figures of the einsum chapter, drawn by book_build/figures.py."""

import matplotlib.pyplot as plt
import numpy as np

from snippets.einsum import contraction_path

CHAIN = "ij,jk,kl,lm->im"
SHAPES = [(64, 64), (64, 64), (64, 64), (64, 16)]
# The five ways to parenthesize A B C D, as np.einsum_path paths (positions in
# the current operand list; each result goes to the end).
ORDERS = {
    "((AB)C)D": [(0, 1), (0, 2), (0, 1)],
    "(A(BC))D": [(1, 2), (0, 2), (0, 1)],
    "(AB)(CD)": [(0, 1), (0, 1), (0, 1)],
    "A((BC)D)": [(1, 2), (1, 2), (0, 1)],
    "A(B(CD))": [(2, 3), (1, 2), (0, 1)],
}


def flops(path) -> float:
    """np.einsum_path's FLOP count for the chain contracted along ``path``."""
    operands = [np.empty(shape) for shape in SHAPES]
    report = np.einsum_path(CHAIN, *operands, optimize=["einsum_path", *path])[
        1
    ]
    return float(report.split("Optimized FLOP count:")[1].split()[0])


def plot_contraction_order():
    operands = [np.empty(shape) for shape in SHAPES]
    report = np.einsum_path(CHAIN, *operands, optimize=False)[1]
    naive = float(report.split("Naive FLOP count:")[1].split()[0])
    labels = ["all at once", *ORDERS]
    counts = [naive, *(flops(path) for path in ORDERS.values())]
    greedy_path, _ = contraction_path(CHAIN, *SHAPES)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    greedy = [False, *(path == greedy_path for path in ORDERS.values())]
    colors = ["C3"] + ["C2" if g else "C0" for g in greedy[1:]]
    rows = np.arange(len(labels))[::-1]  # the first label on top
    ax.barh(rows, counts, color=colors)
    ax.set_yticks(rows, labels)
    ax.set_xscale("log")
    ax.set_xlabel("floating-point operations")
    ax.set_title("ij,jk,kl,lm->im  with  i = j = k = l = 64, m = 16")
    for row, count, best in zip(rows, counts, greedy, strict=True):
        note = "  greedy's pick" if best else ""
        ax.text(count * 1.15, row, f"{count:.2g}{note}", va="center")
    ax.set_xlim(1e5, 1e10)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
