"""Figures of the diagnostics chapter, drawn by book_build/figures.py."""

import functools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator, NullFormatter

from snippets.diagnostics import run_experiment

KINDS = {
    "bad": "N(0, 0.01²) weights",
    "good": "He initialization",
    "residual": "LayerNorm + residual blocks",
}


@functools.cache
def experiments():
    return {kind: run_experiment(kind) for kind in KINDS}


def series(stats, statistic: str, step: int) -> np.ndarray:
    return np.array(
        [values[statistic][step] for values in stats.records.values()]
    )


def plot_signals():
    fig, axes = plt.subplots(2, 1, figsize=(6.4, 7.2), sharex=True)
    for kind, label in KINDS.items():
        stats, _ = experiments()[kind]
        layers = np.arange(1, len(stats.records) + 1)
        axes[0].semilogy(
            layers, series(stats, "std", 0), marker=".", label=label
        )
        grads = np.maximum(
            series(stats, "grad_norm", 0), 1e-45
        )  # exact zeros drawn at the floor
        axes[1].semilogy(layers, grads, marker=".", label=label)
    axes[0].set_title("std of each ReLU's output, first step")
    axes[1].set_title("norm of dL/d(output) at each ReLU, first step")
    axes[0].set_ylabel("std")
    axes[1].set_ylabel("gradient norm")
    axes[1].set_xlabel("ReLU layer (input side on the left)")
    axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes:
        ax.grid(True, alpha=0.3)
    axes[1].legend(loc="lower right", framealpha=0.9)
    fig.tight_layout()
    return fig


def plot_training():
    fig, axes = plt.subplots(2, 1, figsize=(6.4, 7.2))
    for kind, label in KINDS.items():
        stats, losses = experiments()[kind]
        axes[0].semilogy(losses, label=label)
        layers = np.arange(1, len(stats.records) + 1)
        axes[1].plot(
            layers, series(stats, "zero_fraction", -1), marker=".", label=label
        )
    axes[0].set_title("training loss (mean squared error)")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("loss")
    axes[1].set_title("fraction of zeros in each ReLU's output, last step")
    axes[1].set_xlabel("ReLU layer")
    axes[1].set_ylabel("fraction of zeros")
    axes[1].set_ylim(0, 1)
    axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].yaxis.set_minor_formatter(
        NullFormatter()
    )  # label the decades only
    for ax in axes:
        ax.grid(True, alpha=0.3)
    axes[0].legend(loc="lower left", framealpha=0.9)
    fig.tight_layout()
    return fig
