"""Figures of the automatic differentiation chapter, drawn by overrides/hooks/figures.py.

The Jacobian-cost figure plots measurements recorded by
``benchmarks/autodiff.py jacobian`` in benchmarks/data/autodiff-cost.json, with
the machine that made them: nothing is timed while the site is built.
"""

from pathlib import Path

import matplotlib.pyplot as plt

COST_FILE = (
    Path(__file__).resolve().parents[2]
    / "benchmarks"
    / "data"
    / "autodiff-cost.json"
)


def plot_graph():
    """The computational graph of z = x^2 + x y + y^2."""
    nodes = {
        "x": (0.0, 2.0),
        "y": (0.0, 0.0),
        "a = x²": (1.5, 2.7),
        "b = x·y": (1.5, 1.0),
        "c = y²": (1.5, -0.7),
        "d = a + b": (3.1, 1.9),
        "z = d + c": (4.7, 1.0),
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
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
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
                "shrinkA": 9 + 3.6 * len(start),
                "shrinkB": 9 + 3.6 * len(end),
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
            fontsize=13,
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": "#dbe4ff" if leaf else "#fff3bf",
                "edgecolor": "0.3",
            },
        )
    ax.set_xlim(-0.5, 5.4)
    ax.set_ylim(-1.2, 3.2)
    ax.axis("off")
    fig.tight_layout()
    return fig


STYLES = {
    "ours, forward (n JVPs)": "C0-o",
    "ours, reverse (m VJPs)": "C1-o",
    "torch.func.jacfwd": "C0--s",
    "torch.func.jacrev": "C1--s",
}
