"""Figures of the low-rank chapter, drawn by overrides/hooks/figures.py."""

import matplotlib.pyplot as plt
import numpy as np
import torch

from snippets.low_rank import (
    accuracy,
    compress_mlp,
    gd_least_squares,
    make_data,
    train_mlp,
)

RANKS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 64]
KAPPAS = [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32]


def plot_compression():
    """Test accuracy of the chapter's MLP with every weight cut to rank k."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tensors this small run fastest on one thread
    try:
        x, y = make_data(1000)
        x_test, y_test = make_data(2000, seed=1)
        model = train_mlp(x, y)
        full = accuracy(model, x_test, y_test)
        accuracies = [
            accuracy(compress_mlp(model, k), x_test, y_test) for k in RANKS
        ]
    finally:
        torch.set_num_threads(threads)
    # A white background keeps the figure readable in the dark theme too.
    fig, ax = plt.subplots(figsize=(6.4, 3.6), facecolor="white")
    ax.semilogx(RANKS, accuracies, "o-", label="every weight cut to rank k")
    ax.axhline(
        full, color="k", linestyle="--", label=f"full rank ({full:.2f})"
    )
    ax.axhline(0.1, color="gray", linestyle=":", label="chance (0.10)")
    ax.axvline(10, color="tab:red", alpha=0.4, label="rank of the task (10)")
    ax.set_xticks(RANKS[::2], [str(k) for k in RANKS[::2]])
    ax.set_xlabel("rank k kept in each weight matrix", fontsize=11)
    ax.set_ylabel("test accuracy", fontsize=11)
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=10, loc="lower right")
    fig.tight_layout()
    return fig


def plot_conditioning():
    """Gradient descent steps on least squares against the condition number."""
    rng = np.random.default_rng(0)
    u, _ = np.linalg.qr(rng.standard_normal((100, 10)))
    v, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    b = rng.standard_normal(100)
    steps = [
        gd_least_squares((u * np.linspace(k, 1, 10)) @ v.T, b) for k in KAPPAS
    ]
    kappas = np.array(KAPPAS)
    fig, ax = plt.subplots(figsize=(6.4, 3.6), facecolor="white")
    ax.loglog(kappas, steps, "o-", label="measured: steps to 1e-6")
    ax.loglog(kappas, kappas**2 * np.log(1e6), "k--", label="κ² ln(10⁶)")
    ax.set_xticks([1, 2, 4, 8, 16, 32], ["1", "2", "4", "8", "16", "32"])
    ax.set_xlabel("condition number κ(A)", fontsize=11)
    ax.set_ylabel("gradient descent steps", fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=10)
    fig.tight_layout()
    return fig
