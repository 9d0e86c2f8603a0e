"""Figures of the normalization chapter, drawn by overrides/hooks/figures.py."""

import matplotlib.pyplot as plt
import numpy as np

from snippets.residual import gradient_norms, jacobian_singular_values

WIDTH, DEPTH = 128, 50


def plot_gradient_norms():
    # A white background keeps the figure readable in the dark theme too.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True, facecolor="white")
    layers = np.arange(DEPTH)
    for ax, residual in zip(axes, [False, True], strict=True):
        for multiple in [0.5, 1.0, 2.0]:
            norms = gradient_norms(DEPTH, WIDTH, residual, multiple / np.sqrt(WIDTH))
            ax.semilogy(layers, norms, label=f"std = {multiple:g}/sqrt(width)")
        if residual:
            scaled = gradient_norms(DEPTH, WIDTH, True, 1 / np.sqrt(WIDTH * DEPTH))
            ax.semilogy(
                layers, scaled, color="k", linestyle="--", label="std = 1/sqrt(width·depth)"
            )
        ax.set_title("residual: x + tanh(Wx)" if residual else "plain: tanh(Wx)")
        ax.set_xlabel("block (the loss is after block 49)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("‖dL/dx‖ at the block's input")
    fig.suptitle(f"Gradient norms through {DEPTH} tanh blocks of width {WIDTH}")
    fig.tight_layout()
    return fig


def plot_jacobian_spectrum():
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), sharey=True, facecolor="white")
    cases = {
        "plain, std 1/sqrt(width)": (False, 1 / np.sqrt(WIDTH)),
        "residual, std 1/sqrt(width)": (True, 1 / np.sqrt(WIDTH)),
        "residual, std 1/sqrt(width·depth)": (True, 1 / np.sqrt(WIDTH * DEPTH)),
    }
    depths = np.arange(1, DEPTH + 1)
    for ax, (title, (residual, std)) in zip(axes, cases.items(), strict=True):
        spectra = jacobian_singular_values(DEPTH, WIDTH, residual, std)
        ax.semilogy(depths, [s[0] for s in spectra], label="largest")
        ax.semilogy(depths, [np.median(s) for s in spectra], label="median")
        # float64 resolves singular values only down to about 1e-16 of the largest.
        ax.semilogy(depths, [max(s[-1], 1e-16 * s[0]) for s in spectra], label="smallest")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("depth (blocks multiplied)")
        ax.set_ylim(1e-17, 1e3)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("singular value of the Jacobian")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle(f"Singular values of the input-output Jacobian, tanh blocks of width {WIDTH}")
    fig.tight_layout()
    return fig
