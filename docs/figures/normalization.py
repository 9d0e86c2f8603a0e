"""Figures of the normalization chapter, drawn by book_build/figures.py."""

import matplotlib.pyplot as plt
import numpy as np

from snippets.residual import gradient_norms, jacobian_singular_values

WIDTH, DEPTH = 128, 50


def plot_gradient_norms():
    fig, axes = plt.subplots(
        2, 1, figsize=(6.4, 7.6), sharex=True, sharey=True
    )
    layers = np.arange(DEPTH)
    for ax, residual in zip(axes, [False, True], strict=True):
        for multiple in [0.5, 1.0, 2.0]:
            norms = gradient_norms(
                DEPTH, WIDTH, residual, multiple / np.sqrt(WIDTH)
            )
            ax.semilogy(layers, norms, label=f"std = {multiple:g}/√width")
        if residual:
            scaled = gradient_norms(
                DEPTH, WIDTH, True, 1 / np.sqrt(WIDTH * DEPTH)
            )
            ax.semilogy(
                layers,
                scaled,
                color="k",
                linestyle="--",
                label="std = 1/√(width·depth)",
            )
        ax.set_title(
            "residual: x + tanh(Wx)" if residual else "plain: tanh(Wx)"
        )
        ax.set_ylabel("‖dL/dx‖ at the block's input")
        ax.grid(True, alpha=0.3)
    axes[1].set_xlabel(f"block (the loss is after block {DEPTH - 1})")
    axes[1].legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=1, frameon=False
    )
    fig.tight_layout()
    return fig


def plot_jacobian_spectrum():
    fig, grid = plt.subplots(2, 2, figsize=(6.4, 6.4), sharey=True)
    axes = [grid[0, 0], grid[0, 1], grid[1, 0]]
    cases = {
        "plain\nstd 1/√width": (False, 1 / np.sqrt(WIDTH)),
        "residual\nstd 1/√width": (True, 1 / np.sqrt(WIDTH)),
        "residual\nstd 1/√(width·depth)": (
            True,
            1 / np.sqrt(WIDTH * DEPTH),
        ),
    }
    depths = np.arange(1, DEPTH + 1)
    for ax, (title, (residual, std)) in zip(axes, cases.items(), strict=True):
        spectra = jacobian_singular_values(DEPTH, WIDTH, residual, std)
        ax.semilogy(depths, [s[0] for s in spectra], label="largest")
        ax.semilogy(depths, [np.median(s) for s in spectra], label="median")
        # float64 resolves singular values only down to about 1e-16 of the largest.
        ax.semilogy(
            depths,
            [max(s[-1], 1e-16 * s[0]) for s in spectra],
            label="smallest",
        )
        ax.set_title(title)
        ax.set_xlabel("depth (blocks)")
        ax.set_ylim(1e-17, 1e3)
        ax.set_yticks([1e-15, 1e-10, 1e-5, 1])
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("singular value")
    axes[2].set_ylabel("singular value")
    grid[1, 1].axis("off")
    handles, labels = axes[0].get_legend_handles_labels()
    grid[1, 1].legend(
        handles,
        labels,
        loc="center",
        frameon=False,
        title=f"of the Jacobian,\ntanh blocks,\nwidth {WIDTH}",
    )
    fig.tight_layout()
    return fig


def plot_gradient_terms():
    from snippets.residual import gradient_terms

    terms = gradient_terms(DEPTH, WIDTH, 1 / np.sqrt(WIDTH))
    blocks = np.arange(DEPTH)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(6.4, 6.4), sharex=True, height_ratios=[2, 1]
    )
    top.semilogy(blocks, terms["stream"][:-1], label="‖g + b‖²: the stream")
    top.semilogy(blocks, terms["branch"], label="‖b‖²: the branch's part")
    top.semilogy(
        blocks, np.abs(terms["cross"]), label="|2⟨g, b⟩|: the cross term"
    )
    top.set_ylabel("squared norm at the block")
    top.set_title("residual tanh blocks, width 128, std 1/√width")
    top.legend(frameon=False)
    top.grid(True, alpha=0.3)
    bottom.plot(blocks, terms["stream"][:-1] / terms["incoming"], color="k")
    bottom.set_ylabel("‖g + b‖² / ‖g‖²")
    bottom.set_xlabel(f"block (the loss is after block {DEPTH - 1})")
    bottom.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig
