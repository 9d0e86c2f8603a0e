"""Figures of the einsum chapter, drawn by overrides/hooks/figures.py."""

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
    report = np.einsum_path(CHAIN, *operands, optimize=["einsum_path", *path])[1]
    return float(report.split("Optimized FLOP count:")[1].split()[0])


def plot_contraction_order():
    operands = [np.empty(shape) for shape in SHAPES]
    report = np.einsum_path(CHAIN, *operands, optimize=False)[1]
    naive = float(report.split("Naive FLOP count:")[1].split()[0])
    labels = ["all at once\n(no pairing)", *ORDERS]
    counts = [naive, *(flops(path) for path in ORDERS.values())]
    _, greedy_flops = contraction_path(CHAIN, *SHAPES)
    # A white background keeps the figure readable in the dark theme too.
    fig, ax = plt.subplots(figsize=(7, 4), facecolor="white")
    # np.einsum_path prints four significant digits, hence the tolerance.
    colors = ["C3"] + ["C2" if abs(c / greedy_flops - 1) < 1e-3 else "C0" for c in counts[1:]]
    ax.bar(labels, counts, color=colors)
    ax.set_yscale("log")
    ax.set_ylabel("floating-point operations")
    ax.set_title(
        "'ij,jk,kl,lm->im' with i=j=k=l=64, m=16\n(green: the order the greedy planner picks)"
    )
    for x, c in enumerate(counts):
        ax.text(x, c * 1.3, f"{c:.2g}", ha="center", fontsize=9)
    ax.set_ylim(1e5, 1e10)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
