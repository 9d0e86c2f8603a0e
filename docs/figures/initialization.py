"""Figures of the initialization chapter, drawn by overrides/hooks/figures.py."""

import functools

import matplotlib.pyplot as plt
import numpy as np
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
            init, depth, width, activation, n_samples=500, rng=np.random.default_rng(s)
        )
        for s in SEEDS
    ]
    return {key: np.mean([r[key] for r in runs], axis=0) for key in runs[0]}


def _panels(title):
    # A white background keeps the figure readable in the dark theme too.
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), sharey=True, facecolor="white")
    fig.suptitle(title)
    return fig, axes


def _finish_panel(ax, activation, xlabel):
    ax.set_title(activation)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylim(1e-30, 1e2)
    ax.grid(True, alpha=0.3)


def plot_forward():
    fig, axes = _panels("Activations through 15 layers of width 256 (mean of 5 networks)")
    for ax, activation in zip(axes, ACTIVATIONS, strict=True):
        for (label, init), color in zip(INITS.items(), ["C0", "C1", "C2"], strict=True):
            stats = averaged(init, activation, depth=15)
            layers = np.arange(stats["second_moment"].size)
            ax.semilogy(layers, stats["second_moment"], color=color, label=f"{label}: E[x²]")
            ax.semilogy(
                layers, stats["variance"], color=color, linestyle="--", label=f"{label}: Var[x]"
            )
        _finish_panel(ax, activation, "layer")
    axes[0].set_ylabel("second moment (solid), variance (dashed)")
    axes[2].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def plot_backward():
    fig, axes = _panels("Gradients flowing back through 15 layers (mean of 5 networks)")
    for ax, activation in zip(axes, ACTIVATIONS, strict=True):
        for label, init in INITS.items():
            grads = averaged(init, activation, depth=15)["grad_second_moment"]
            ax.semilogy(np.arange(grads.size), grads, label=label)
        _finish_panel(ax, activation, "layer (the loss is behind layer 15)")
    axes[0].set_ylabel("E[(dL/dx)²] at each layer's output")
    axes[2].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_practice_problem_4():
    fig, ax = plt.subplots(figsize=(6, 4), facecolor="white")
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
    fig, ax = plt.subplots(figsize=(6, 4), facecolor="white")
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
        ax.semilogy(layers, median, color=color, linestyle="--", label=f"{label}: median")
    ax.set_xlabel("depth (number of linear layers multiplied)")
    ax.set_ylabel("singular value of the product")
    ax.set_title(f"Singular values of a product of {width}x{width} weights")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig
