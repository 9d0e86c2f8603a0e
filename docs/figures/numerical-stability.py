"""Figures of the numerical stability chapter, drawn by overrides/hooks/figures.py."""

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
    # A white background keeps the figure readable in the dark theme too.
    fig, ax = plt.subplots(figsize=(7, 4.2), facecolor="white")
    for name, dtype in FORMATS.items():
        info = torch.finfo(dtype)
        smallest_subnormal = info.smallest_normal * info.eps
        shown = values >= smallest_subnormal
        x = values[shown]
        ax.loglog(x, spacing(x, dtype) / x, label=name)
    ax.set_xlabel("value x")
    ax.set_ylabel("relative gap to the next number, gap / x")
    ax.set_title(
        "Relative precision is about epsilon over the normal range\n"
        "and degrades below the smallest normal number"
    )
    ax.legend(loc="upper right")
    ax.grid(True, which="major", alpha=0.3)
    return fig
