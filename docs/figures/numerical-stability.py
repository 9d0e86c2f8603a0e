"""Figures of the numerical stability chapter, drawn by book_build/figures.py."""

import matplotlib.pyplot as plt
import numpy as np
import torch

FORMATS = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
}


def spacing(values: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    """Gap between adjacent representable numbers at each positive value, for a torch dtype."""
    info = torch.finfo(dtype)
    mantissa_bits = round(-np.log2(info.eps))
    exponent = np.floor(np.log2(np.maximum(values, info.smallest_normal)))
    gaps = 2.0 ** (exponent - mantissa_bits)
    return np.where(values <= info.max, gaps, np.nan)


def plot_spacing():
    values = np.logspace(-45, 39, 2000)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for name, dtype in FORMATS.items():
        info = torch.finfo(dtype)
        smallest_subnormal = info.smallest_normal * info.eps
        shown = values >= smallest_subnormal
        x = values[shown]
        ax.loglog(x, spacing(x, dtype) / x, label=name)
    ax.set_xlabel("value x")
    ax.set_ylabel("relative gap to the next number, gap / x")
    ax.set_title(
        "Relative precision is about epsilon over the normal\n"
        "range and degrades below the smallest normal number"
    )
    ax.set_xticks([1e-40, 1e-20, 1, 1e20])
    ax.legend(loc="upper right", framealpha=0.9)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig
