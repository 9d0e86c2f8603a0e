"""Figures of the transformer chapter, drawn by book_build/figures.py."""

import itertools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import FancyBboxPatch

from snippets.transformer import (
    causal_mask,
    kv_cache_bytes,
    naive_attention_bytes,
    padding_mask,
    tiled_attention_bytes,
    train_tiny,
)


def _box(ax, x, y, text, width=2.6, colour="#dde4f5"):
    """A rounded box centred at (x, y) with a label."""
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - 0.3),
            width,
            0.6,
            boxstyle="round,pad=0.05",
            facecolor=colour,
            edgecolor="#333333",
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def _arrow(ax, start, end):
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "->", "color": "#333333", "lw": 1.2},
    )


def plot_block():
    """The pre-norm block as boxes, with the shape of every intermediate."""
    fig, ax = plt.subplots(figsize=(6.4, 7.2), facecolor="white")
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.2, 12.4)
    ax.axis("off")
    line = 1.2  # x of the residual stream
    ax.plot([line, line], [0.3, 12.0], color="#1f4fa8", lw=3)
    ax.text(line, 12.15, "x  (N, L, D)", ha="center", fontsize=10)
    ax.text(line, 0.0, "y  (N, L, D)", ha="center", fontsize=10)
    for y in (6.4, 1.1):  # the two additions
        ax.add_patch(plt.Circle((line, y), 0.28, fc="white", ec="#1f4fa8"))
        ax.text(line, y, "+", ha="center", va="center", fontsize=13)
    steps = [
        (11.2, "LayerNorm", "(N, L, D)"),
        (10.2, "Q, K, V, split into heads", "(N, H, L, d_head)"),
        (9.2, "scores QKᵀ / √d_head, mask", "(N, H, L, L)"),
        (8.2, "softmax, then P V", "(N, H, L, d_head)"),
        (7.2, "W_O: sum over heads", "(N, L, D)"),
        (5.4, "LayerNorm", "(N, L, D)"),
        (4.2, "W_1, then ReLU", "(N, L, F)"),
        (2.9, "W_2", "(N, L, D)"),
    ]
    centre = 4.2
    for y, text, shape in steps:
        _box(ax, centre, y, text, width=4.0, colour="#dde4f5")
        ax.text(centre + 2.25, y, shape, va="center", fontsize=10)
    for (y0, *_), (y1, *_) in itertools.pairwise(steps):
        if (y0, y1) != (7.2, 5.4):
            _arrow(ax, (centre, y0 - 0.35), (centre, y1 + 0.35))
    for y_from, y_to in ((11.2, 11.2), (5.4, 5.4)):  # reads from the stream
        _arrow(ax, (line + 0.1, y_from), (centre - 2.05, y_to))
    _arrow(ax, (centre - 2.05, 7.2), (line + 0.3, 6.55))  # writes
    _arrow(ax, (centre - 2.05, 2.9), (line + 0.3, 1.25))
    ax.text(0.2, 8.8, "residual stream", rotation=90, fontsize=10)
    fig.tight_layout()
    return fig


def plot_spectra():
    """Singular values of each head's QK and OV maps after train_tiny."""
    p, _ = train_tiny()
    d, dh = p["wq"].shape[0], p["wq"].shape[0] // 2
    fig, axes = plt.subplots(
        1, 2, figsize=(6.4, 3.4), sharey=True, facecolor="white"
    )
    index = np.arange(1, d + 1)
    for h in range(2):
        r = slice(h * dh, (h + 1) * dh)
        maps = {
            "W_QK": p["wq"][r].T @ p["wk"][r],
            "W_OV": p["wo"][:, r] @ p["wv"][r],
        }
        for ax, (name, w) in zip(axes, maps.items(), strict=True):
            s = np.linalg.svd(w, compute_uv=False)
            ax.semilogy(
                index, np.maximum(s, 1e-16), "o-", ms=3, label=f"head {h}"
            )
            ax.set_title(f"{name} of each head", fontsize=11)
    for ax in axes:
        ax.axvline(dh + 0.5, color="gray", linestyle=":")
        ax.set_xlabel("index i", fontsize=10)
        ax.grid(True, alpha=0.3)
    # One legend, in the empty middle right (the values there are 1e-15).
    axes[1].legend(fontsize=9, loc="center right")
    axes[0].set_ylabel("singular value", fontsize=10)
    fig.tight_layout()
    return fig


def plot_mask():
    """A causal mask, and the same mask with two keys of padding."""
    length = 6
    masks = {
        "causal": causal_mask(length),
        "causal & padding (length 4)": causal_mask(length)
        & padding_mask(np.array([4]), length)[0, 0],
    }
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.3), facecolor="white")
    for ax, (name, mask) in zip(axes, masks.items(), strict=True):
        # Vector cells, not an image: the dark version recolours them.
        edges = np.arange(length + 1) - 0.5
        cells = ListedColormap(["#ffffff", "#2f67b0"])
        ax.pcolormesh(
            edges, edges, mask, cmap=cells, edgecolors="gray", linewidth=0.5
        )
        ax.set_aspect("equal")
        ax.invert_yaxis()
        ax.set_title(name, fontsize=11)
        ax.set_xlabel("key position j", fontsize=10)
        ax.set_ylabel("query position i", fontsize=10)
        ax.set_xticks(range(length))
        ax.set_yticks(range(length))
    fig.tight_layout()
    return fig


def plot_rotary():
    """One 2-D pair of a query rotated at positions 0 to 7."""
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), facecolor="white")
    circle = np.linspace(0, 2 * np.pi, 200)
    colours = plt.cm.viridis(np.linspace(0, 0.9, 8))
    for ax, theta in zip(axes, (1.0, 0.3), strict=True):
        ax.plot(np.cos(circle), np.sin(circle), color="lightgray")
        for m in range(8):
            a = m * theta
            ax.annotate(
                "",
                xy=(np.cos(a), np.sin(a)),
                xytext=(0, 0),
                arrowprops={"arrowstyle": "->", "color": colours[m]},
            )
            ax.text(
                1.15 * np.cos(a),
                1.15 * np.sin(a),
                str(m),
                ha="center",
                va="center",
                fontsize=9,
            )
        ax.set_title(f"θ = {theta:g} rad per position", fontsize=11)
        ax.set_aspect("equal")
        ax.set_xlim(-1.35, 1.35)
        ax.set_ylim(-1.35, 1.35)
        ax.set_xlabel("coordinate 2i", fontsize=10)
        ax.set_ylabel("coordinate 2i + 1", fontsize=10)
    fig.tight_layout()
    return fig


def plot_kv_cache():
    """KV-cache bytes against context length for a few model shapes."""
    context = np.logspace(3, 6, 50).astype(int)
    shapes = {
        "32 layers, 32 KV heads": (32, 32),
        "40 layers, 40 KV heads": (40, 40),
        "80 layers, 8 KV heads (grouped)": (80, 8),
        "32 layers, 1 KV head (multi-query)": (32, 1),
    }
    fig, ax = plt.subplots(figsize=(6.4, 4.6), facecolor="white")
    for name, (layers, kv) in shapes.items():
        b = [kv_cache_bytes(layers, kv, 128, int(t)) for t in context]
        ax.loglog(context, np.array(b) / 2**30, label=name)
    ax.set_xlabel("context length (tokens)", fontsize=10)
    ax.set_ylabel("KV cache (GiB, float16, d_head 128)", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    # Below the axes: inside, the lines leave no corner free at phone sizes.
    ax.legend(
        fontsize=9,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.17),
        ncol=2,
        frameon=False,
    )
    fig.tight_layout()
    return fig


def plot_traffic():
    """Bytes read and written by plain and tiled attention against length."""
    lengths = 2 ** np.arange(8, 18)
    d = 128
    fig, ax = plt.subplots(figsize=(6.4, 4.0), facecolor="white")
    naive = [naive_attention_bytes(int(n), d, 2) for n in lengths]
    ax.loglog(lengths, naive, "k-o", ms=3, label="plain: S and P out and back")
    for tile in (64, 256, 1024):
        b = [tiled_attention_bytes(int(n), d, tile, 2) for n in lengths]
        ax.loglog(lengths, b, "-o", ms=3, label=f"tiled, tile {tile}")
    ax.set_xlabel("sequence length L", fontsize=10)
    ax.set_ylabel("bytes read + written (one head)", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
