"""Figures of the diagnostics chapter, drawn by overrides/hooks/figures.py."""

import functools

import matplotlib.pyplot as plt
import numpy as np

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
    return np.array([values[statistic][step] for values in stats.records.values()])


def plot_signals():
    # A white background keeps the figure readable in the dark theme too.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), facecolor="white")
    for kind, label in KINDS.items():
        stats, _ = experiments()[kind]
        layers = np.arange(1, len(stats.records) + 1)
        axes[0].semilogy(layers, series(stats, "std", 0), marker=".", label=label)
        grads = np.maximum(series(stats, "grad_norm", 0), 1e-45)  # exact zeros drawn at the floor
        axes[1].semilogy(layers, grads, marker=".", label=label)
    axes[0].set_title("std of each ReLU's output, first step")
    axes[1].set_title("norm of dL/d(output) at each ReLU, first step")
    for ax in axes:
        ax.set_xlabel("ReLU layer (input side on the left)")
        ax.grid(True, alpha=0.3)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_training():
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), facecolor="white")
    for kind, label in KINDS.items():
        stats, losses = experiments()[kind]
        axes[0].semilogy(losses, label=label)
        layers = np.arange(1, len(stats.records) + 1)
        axes[1].plot(layers, series(stats, "zero_fraction", -1), marker=".", label=label)
    axes[0].set_title("training loss (mean squared error)")
    axes[0].set_xlabel("step")
    axes[1].set_title("fraction of zeros in each ReLU's output, last step")
    axes[1].set_xlabel("ReLU layer")
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
