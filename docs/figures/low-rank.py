"""Figures of the low-rank chapter, drawn by book_build/figures.py."""

import matplotlib.pyplot as plt
import numpy as np
import torch

from snippets.low_rank import accuracy, compress_mlp, make_data, train_mlp

RANKS = [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 16, 24, 32, 64]
TICKS = [1, 2, 4, 9, 16, 32, 64]


def plot_svd_steps():
    """The unit circle under Vt, then Sigma, then U, for A = [[3, 0], [4, 5]]."""
    a = np.array([[3.0, 0.0], [4.0, 5.0]])
    _, s, vt = np.linalg.svd(a)
    # The signs worked by hand on the page, v_1 = (1, 1)/sqrt 2, whatever LAPACK picks.
    vt = vt * np.sign(vt[:, :1])
    t = np.linspace(0, 2 * np.pi, 200)
    circle = np.stack([np.cos(t), np.sin(t)])
    maps = [np.eye(2), vt, np.diag(s) @ vt, a]
    titles = ["x on the unit circle", "after Vᵀ (turn)", "after Σ (stretch)"]
    titles.append("after U (turn): A x")
    names = [
        ["v_1", "v_2"],
        ["e_1", "e_2"],
        [r"\sigma_1 e_1", r"\sigma_2 e_2"],
    ]
    names.append([r"\sigma_1 u_1", r"\sigma_2 u_2"])
    fig, axes = plt.subplots(2, 2, figsize=(6.4, 6.0), facecolor="white")
    for k, (ax, m, title) in enumerate(
        zip(axes.flat, maps, titles, strict=True)
    ):
        limit = 1.6 if k < 2 else 7.5  # the top row zooms in on the circle
        points = m @ circle
        ax.plot(points[0], points[1], color="tab:blue", lw=1.5)
        for i, color in enumerate(["tab:red", "tab:green"]):
            tip = m @ vt[i]  # where v_i has gone
            ax.annotate(
                "",
                tip,
                (0, 0),
                arrowprops={"arrowstyle": "->", "color": color, "lw": 1.8},
            )
            ax.text(
                *(1.1 * tip + 0.04 * limit),
                f"${names[k][i]}$",
                color=color,
                fontsize=10,
            )
        ax.set_title(title, fontsize=11)
        ax.set_aspect("equal")
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("first coordinate", fontsize=10)
        ax.set_ylabel("second coordinate", fontsize=10)
    fig.tight_layout()
    return fig


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
