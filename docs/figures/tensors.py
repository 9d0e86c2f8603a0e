"""Figures of the tensors chapter, drawn by overrides/hooks/figures.py."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from snippets.tensors import broadcast_shapes

A = np.array([[0], [10], [20]])  # shape (3, 1): a column
B = np.array([0, 1, 2, 3])  # shape (4,): a row once padded to (1, 4)


def _grid(ax, left, values, stored, title):
    """Draw ``values`` as a grid of cells from x = ``left``; cells where ``stored``
    is false are the ones broadcasting reuses: drawn faint and dashed."""
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            real = stored[i, j]
            ax.add_patch(
                Rectangle(
                    (left + j, rows - 1 - i),
                    1,
                    1,
                    facecolor="#dbe4ff" if real else "none",
                    edgecolor="0.25" if real else "0.55",
                    linestyle="-" if real else (0, (3, 2)),
                    linewidth=1.2,
                )
            )
            ax.text(
                left + j + 0.5,
                rows - 0.5 - i,
                str(values[i, j]),
                ha="center",
                va="center",
                fontsize=13,
                color="0" if real else "0.45",
            )
    ax.text(
        left + cols / 2,
        rows + 0.35,
        title,
        ha="center",
        va="bottom",
        fontsize=13,
    )


def plot_broadcasting():
    """a (3, 1) + b (4,) -> (3, 4): each size-1 axis is stretched by reusing its values."""
    shape = broadcast_shapes(A.shape, B.shape)
    a, b = np.broadcast_to(A, shape), np.broadcast_to(B, shape)
    a_stored = np.zeros(shape, bool)
    a_stored[:, 0] = True
    b_stored = np.zeros(shape, bool)
    b_stored[0, :] = True
    fig, ax = plt.subplots(figsize=(6.4, 2.3))
    _grid(ax, 0, a, a_stored, "a: (3, 1)")
    ax.text(4.75, 1.5, "+", ha="center", va="center", fontsize=20)
    _grid(ax, 5.5, b, b_stored, "b: (4,) → (1, 4)")
    ax.text(10.25, 1.5, "=", ha="center", va="center", fontsize=20)
    _grid(ax, 11, a + b, np.ones(shape, bool), f"a + b: {shape}")
    ax.set_xlim(-0.1, 15.1)
    ax.set_ylim(-0.1, 4.1)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig
