"""Figures of the tensors chapter, drawn by book_build/figures.py."""

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


def _cells(ax, left, bottom, values, title, colours=None):
    """Draw ``values`` (2-D) as labelled cells with lower-left corner (left, bottom)."""
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            face = "#dbe4ff" if colours is None else colours[i][j]
            ax.add_patch(
                Rectangle(
                    (left + j, bottom + rows - 1 - i),
                    1,
                    1,
                    facecolor=face,
                    edgecolor="0.25",
                    linewidth=1.2,
                )
            )
            ax.text(
                left + j + 0.5,
                bottom + rows - 0.5 - i,
                str(values[i, j]),
                ha="center",
                va="center",
                fontsize=13,
            )
    ax.text(
        left + cols / 2,
        bottom + rows + 0.25,
        title,
        ha="center",
        va="bottom",
        fontsize=12,
    )


PALETTE = ["#dbe4ff", "#ffe3c4", "#d3f2d5", "#f8d4e4", "#e6e0f8", "#fff3b0"]


def plot_transpose_strides():
    """Memory 0..5, the (2, 3) matrix with strides (3, 1) and its transpose with (1, 3)."""
    x = np.arange(6).reshape(2, 3)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    memory = x.reshape(1, 6)
    _cells(
        ax,
        2,
        4.2,
        memory,
        "memory: 0 1 2 3 4 5",
        [[PALETTE[v] for v in range(6)]],
    )
    _cells(
        ax,
        0.5,
        0,
        x,
        "x: (2, 3), strides (3, 1)",
        [[PALETTE[v] for v in row] for row in x],
    )
    _cells(
        ax,
        6.5,
        0,
        x.T,
        "x.T: (3, 2), strides (1, 3)",
        [[PALETTE[v] for v in row] for row in x.T],
    )
    ax.set_xlim(-0.2, 9.6)
    ax.set_ylim(-0.2, 5.9)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


def plot_broadcast_stride_zero():
    """A stored (3,) vector read as (4, 3) with strides (0, 1): every row is the same memory."""
    v = np.array([7, 8, 9])
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    _cells(ax, 0, 1.5, v.reshape(1, 3), "memory: 3 numbers", [PALETTE[:3]])
    _cells(
        ax,
        5,
        0,
        np.broadcast_to(v, (4, 3)),
        "expand to (4, 3): strides (0, 1)",
        [PALETTE[:3]] * 4,
    )
    ax.annotate(
        "",
        xy=(4.8, 2.0),
        xytext=(3.2, 2.0),
        arrowprops={"arrowstyle": "->", "lw": 1.5},
    )
    ax.set_xlim(-0.2, 8.6)
    ax.set_ylim(-0.2, 4.9)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig
