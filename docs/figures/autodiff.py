"""Figures of the automatic differentiation chapter, drawn by overrides/hooks/figures.py.

The Jacobian-cost figure times real runs on the machine that builds the site.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

import snippets.forward_mode as fm
import snippets.reverse_mode as rm
from benchmarks.timing import median_seconds

HIDDEN = 32


def plot_graph():
    """The computational graph of z = x^2 + x y + y^2."""
    nodes = {
        "x": (0.0, 2.0),
        "y": (0.0, 0.0),
        "a = x²": (1.6, 2.6),
        "b = x·y": (1.6, 1.0),
        "c = y²": (1.6, -0.6),
        "d = a + b": (3.2, 1.8),
        "z = d + c": (4.8, 1.0),
    }
    edges = [
        ("x", "a = x²"),
        ("x", "b = x·y"),
        ("y", "b = x·y"),
        ("y", "c = y²"),
        ("a = x²", "d = a + b"),
        ("b = x·y", "d = a + b"),
        ("d = a + b", "z = d + c"),
        ("c = y²", "z = d + c"),
    ]
    # A white background keeps the figure readable in the dark theme too.
    fig, ax = plt.subplots(figsize=(7, 3.6), facecolor="white")
    for start, end in edges:
        (x0, y0), (x1, y1) = nodes[start], nodes[end]
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            # Stop each arrow at the edge of its label's box, which grows with the text.
            arrowprops={
                "arrowstyle": "-|>",
                "color": "0.3",
                "shrinkA": 8 + 3.5 * len(start),
                "shrinkB": 8 + 3.5 * len(end),
            },
        )
    for name, (x, y) in nodes.items():
        leaf = name in ("x", "y")
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            fontsize=11,
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": "#dbe4ff" if leaf else "#fff3bf",
                "edgecolor": "0.3",
            },
        )
    ax.set_xlim(-0.6, 5.5)
    ax.set_ylim(-1.2, 3.2)
    ax.axis("off")
    ax.set_title("z = x² + x·y + y²: each node depends on exactly the values it reads")
    fig.tight_layout()
    return fig


def _problem(n: int, m: int):
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 1 / np.sqrt(n), size=(HIDDEN, n))
    w2 = rng.normal(0, 1 / np.sqrt(HIDDEN), size=(m, HIDDEN))
    x = rng.normal(size=n)
    w1_t, w2_t = torch.from_numpy(w1), torch.from_numpy(w2)
    runs = {
        "ours, forward (n JVPs)": lambda: fm.jacobian_forward(lambda v: w2 @ fm.tanh(w1 @ v), x),
        "ours, reverse (m VJPs)": lambda: rm.jacobian_reverse(
            lambda v: rm.Tensor(w2) @ rm.tanh(rm.Tensor(w1) @ v), x
        ),
        "torch.func.jacfwd": lambda: torch.func.jacfwd(lambda v: w2_t @ torch.tanh(w1_t @ v))(
            torch.from_numpy(x)
        ),
        "torch.func.jacrev": lambda: torch.func.jacrev(lambda v: w2_t @ torch.tanh(w1_t @ v))(
            torch.from_numpy(x)
        ),
    }
    return runs


def plot_jacobian_cost():
    sizes = [4, 16, 64, 256]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), facecolor="white")
    styles = {
        "ours, forward (n JVPs)": "C0-o",
        "ours, reverse (m VJPs)": "C1-o",
        "torch.func.jacfwd": "C0--s",
        "torch.func.jacrev": "C1--s",
    }
    for ax, vary in zip(axes, ["n", "m"], strict=True):
        times = {name: [] for name in styles}
        for size in sizes:
            n, m = (size, 1) if vary == "n" else (16, size)
            for name, run in _problem(n, m).items():
                times[name].append(median_seconds(run, repeats=5))
        for name, style in styles.items():
            ax.loglog(sizes, times[name], style, label=name)
        ax.set_xlabel(f"{vary}, the number of {'inputs' if vary == 'n' else 'outputs'}")
        ax.set_title("f: R^n -> R^m with m = 1" if vary == "n" else "f: R^n -> R^m with n = 16")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("seconds for the full Jacobian (measured)")
    axes[1].legend(fontsize=8)
    fig.suptitle("Forward mode pays per input, reverse mode per output (f(x) = W₂ tanh(W₁ x))")
    fig.tight_layout()
    return fig
