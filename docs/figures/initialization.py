"""Figures of the initialization chapter, drawn by book_build/figures.py."""

import functools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from snippets.initialization import layer_statistics, orthogonal, xavier_normal

INITS = {
    "Xavier (normal)": "xavier_normal",
    "He (normal)": "kaiming_normal",
    "N(0, 0.01²)": 0.01,
}
ACTIVATIONS = ["linear", "tanh", "relu"]
SEEDS = range(5)


@functools.cache  # the forward and the backward figure use the same networks
def averaged(init, activation, depth, width=256):
    """Per-layer statistics averaged over a few seeded networks."""
    runs = [
        layer_statistics(
            init,
            depth,
            width,
            activation,
            n_samples=500,
            rng=np.random.default_rng(s),
        )
        for s in SEEDS
    ]
    return {key: np.mean([r[key] for r in runs], axis=0) for key in runs[0]}


def _panels():
    """Three panels, one per activation, two side by side; the fourth slot holds the legend."""
    fig, grid = plt.subplots(2, 2, figsize=(6.4, 6.0), sharey=True)
    axes = [grid[0, 0], grid[0, 1], grid[1, 0]]
    grid[1, 1].axis("off")
    return fig, axes, grid[1, 1]


def _finish_panel(ax, activation, xlabel):
    ax.set_title(activation)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylim(1e-30, 1e2)
    ax.set_yticks([1e-30, 1e-20, 1e-10, 1])
    ax.grid(True, alpha=0.3)


COLORS = ["C0", "C1", "C2"]


def plot_forward():
    fig, axes, key = _panels()
    for ax, activation in zip(axes, ACTIVATIONS, strict=True):
        for init, color in zip(INITS.values(), COLORS, strict=True):
            stats = averaged(init, activation, depth=15)
            layers = np.arange(stats["second_moment"].size)
            ax.semilogy(layers, stats["second_moment"], color=color)
            ax.semilogy(layers, stats["variance"], color=color, linestyle="--")
        _finish_panel(ax, activation, "layer")
    axes[0].set_ylabel("E[x²], Var[x]")
    axes[2].set_ylabel("E[x²], Var[x]")
    handles = [
        Line2D([], [], color=c, label=label)
        for label, c in zip(INITS, COLORS, strict=True)
    ]
    handles += [
        Line2D([], [], color="0.3", label="E[x²]: solid"),
        Line2D([], [], color="0.3", linestyle="--", label="Var[x]: dashed"),
    ]
    key.legend(
        handles=handles,
        loc="center",
        frameon=False,
        title="15 layers, width 256",
    )
    fig.tight_layout()
    return fig


def plot_backward():
    fig, axes, key = _panels()
    for ax, activation in zip(axes, ACTIVATIONS, strict=True):
        for init, color in zip(INITS.values(), COLORS, strict=True):
            grads = averaged(init, activation, depth=15)["grad_second_moment"]
            ax.semilogy(np.arange(grads.size), grads, color=color)
        _finish_panel(ax, activation, "layer")
    axes[0].set_ylabel("E[(dL/dx)²]")
    axes[2].set_ylabel("E[(dL/dx)²]")
    handles = [
        Line2D([], [], color=c, label=label)
        for label, c in zip(INITS, COLORS, strict=True)
    ]
    key.legend(
        handles=handles,
        loc="center",
        frameon=False,
        title="the loss is\nbehind layer 15",
    )
    fig.tight_layout()
    return fig


def plot_relu_variance_three_inits():
    """The variance through 10 ReLU layers of width 100 for three initializations."""
    # Narrower than the others: it sits in a solution box, whose padding leaves
    # a phone about 330 px of column.
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    for label, init in INITS.items():
        stats = layer_statistics(
            init, 10, 100, "relu", n_samples=1000, rng=np.random.default_rng(0)
        )
        ax.semilogy(np.arange(11), stats["variance"], marker="o", label=label)
    ax.set_xlabel("layer")
    ax.set_ylabel("variance of the activations")
    ax.set_title("10 ReLU layers of width 100, one seeded network each")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def plot_orthogonal():
    rng = np.random.default_rng(0)
    width, depth = 128, 30
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    draws = {
        "Xavier normal": lambda: xavier_normal((width, width), rng=rng),
        "orthogonal": lambda: orthogonal((width, width), rng=rng),
    }
    for (label, draw), color in zip(draws.items(), ["C0", "C1"], strict=True):
        product = np.eye(width)
        largest, median = [], []
        for _ in range(depth):
            product = draw() @ product
            singular = np.linalg.svd(product, compute_uv=False)
            largest.append(singular[0])
            median.append(np.median(singular))
        layers = np.arange(1, depth + 1)
        ax.semilogy(layers, largest, color=color, label=f"{label}: largest")
        ax.semilogy(
            layers,
            median,
            color=color,
            linestyle="--",
            label=f"{label}: median",
        )
    ax.set_xlabel("depth (number of linear layers multiplied)")
    ax.set_ylabel("singular value of the product")
    ax.set_title(f"Singular values of a product of {width}-by-{width} weights")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig
