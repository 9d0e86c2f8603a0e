"""Figures of the conditioning chapter, drawn by book_build/figures.py."""

import matplotlib.pyplot as plt
import numpy as np

from snippets.conditioning import gd_least_squares, gd_quadratic

KAPPAS = [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32]


def plot_zigzag():
    """Gradient descent on x^T H x / 2 for kappa(H) = 2 and kappa(H) = 10."""
    start = np.array([-9.0, 2.5])
    # A white background keeps the figure readable in the dark theme too.
    fig, axes = plt.subplots(2, 1, figsize=(6.4, 5.2), facecolor="white")
    grid = np.linspace(-10, 10, 201), np.linspace(-3.5, 3.5, 141)
    x1, x2 = np.meshgrid(*grid)
    for ax, top in zip(axes, [2.0, 10.0], strict=True):
        h = np.diag([1.0, top])
        lr = 2 / (1 + top)  # the best fixed step
        path = gd_quadratic(h, start, lr, 25)
        f = 0.5 * (x1**2 + top * x2**2)
        levels = 0.5 * np.array([0.25, 1, 4, 9, 16, 36, 64, 100])
        ax.contour(x1, x2, f, levels=levels, colors="0.6", linewidths=0.8)
        ax.plot(path[:, 0], path[:, 1], "o-", color="tab:blue", ms=3, lw=1.2)
        ax.plot(0, 0, "k*", ms=9)
        ax.set_title(f"H = diag(1, {top:g}), κ = {top:g}", fontsize=11)
        ax.set_xlabel("x₁ (flat direction)", fontsize=10)
        ax.set_ylabel("x₂ (steep)", fontsize=10)
        ax.set_aspect("equal")
        ax.set_xlim(-10, 10)
        ax.set_ylim(-3.5, 3.5)
    fig.tight_layout()
    return fig


def plot_steps():
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
