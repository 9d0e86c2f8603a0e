"""Figures of the low-rank chapter, drawn by book_build/figures.py."""

import matplotlib.pyplot as plt
import torch

from snippets.low_rank import accuracy, compress_mlp, make_data, train_mlp

RANKS = [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 16, 24, 32, 64]
TICKS = [1, 2, 4, 9, 16, 32, 64]


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
    ax.axvline(9, color="tab:red", alpha=0.4, label="rank of the task (9)")
    ax.set_xticks(TICKS, [str(k) for k in TICKS])
    ax.set_xlabel("rank k kept in each weight matrix", fontsize=11)
    ax.set_ylabel("test accuracy", fontsize=11)
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=10, loc="lower right")
    fig.tight_layout()
    return fig
