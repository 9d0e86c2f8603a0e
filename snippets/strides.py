"""Strides at work: sliding windows, im2col and broadcasting as stride 0 (NumPy).

The lab ``docs/lab-strides.ipynb`` imports these functions as the solutions of
its three tasks. Each builds a view with ``as_strided``: a shape and strides
over memory that already exists, with no data copied. This module imports only
NumPy, so it can be copied on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["broadcast_to", "im2col", "sliding_windows", "span"]


def _check_array(x, ndim: int, what: str) -> None:
    """Raise unless ``x`` is a NumPy array with ``ndim`` axes."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"expected a NumPy array, got {type(x).__name__}")
    if x.ndim != ndim:
        raise ValueError(f"expected {what}, got shape {x.shape}")


def _check_size(name: str, value, low: int, high: int) -> None:
    """Raise unless ``value`` is an integer from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"expected an integer {name}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"expected {name} from {low} to {high}, got {value}")


def _check_target(x, shape) -> None:
    """Raise unless array ``x`` broadcasts to ``shape``, which has enough axes."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"expected a NumPy array, got {type(x).__name__}")
    sizes = tuple(shape)
    if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in sizes):
        raise TypeError(
            f"expected a shape of non-negative ints, got {shape!r}"
        )
    tail = sizes[len(sizes) - x.ndim :]
    ok = len(sizes) >= x.ndim and all(
        a in (b, 1) for a, b in zip(x.shape, tail, strict=True)
    )
    if not ok:
        raise ValueError(f"cannot broadcast shape {x.shape} to {sizes}")


def _check_windows(x, width) -> None:
    """Raise unless ``x`` is 1-D and holds at least one window of ``width``."""
    _check_array(x, 1, "a 1-D array (L,)")
    _check_size("width", width, 1, x.shape[0])


def _check_im2col(x, kh, kw) -> None:
    """Raise unless ``x`` is ``(N, C, H, W)`` and a kh-by-kw patch fits in it."""
    _check_array(x, 4, "images (N, C, H, W)")
    _check_size("kh", kh, 1, x.shape[2])
    _check_size("kw", kw, 1, x.shape[3])


# --8<-- [start:span]
def span(shape: Sequence[int], strides: Sequence[int], itemsize: int) -> int:
    """Bytes from the first to one past the last byte a view would read."""
    if 0 in shape:
        return 0
    last = sum((n - 1) * s for n, s in zip(shape, strides, strict=True))
    return last + itemsize


# --8<-- [end:span]


# --8<-- [start:sliding_windows]
def sliding_windows(x: np.ndarray, width: int) -> np.ndarray:
    """Read-only view ``(L - width + 1, width)`` of the windows of ``x`` ``(L,)``."""
    _check_windows(x, width)
    (step,) = x.strides
    # Window i starts one element after window i - 1: both axes step by one.
    shape = (x.shape[0] - width + 1, width)
    return as_strided(x, shape=shape, strides=(step, step), writeable=False)


# --8<-- [end:sliding_windows]


# --8<-- [start:im2col]
def im2col(x: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """Patches of ``x`` ``(N, C, H, W)`` as columns ``(N, C * kh * kw, L)``."""
    _check_im2col(x, kh, kw)
    n, c, h, w = x.shape
    sn, sc, sh, sw = x.strides
    oh, ow = h - kh + 1, w - kw + 1  # stride 1, no padding
    # Axes (n, c, i, j, y, x): entry x[n, c, y + i, x + j]. Moving the patch
    # down one row (y) steps as far as moving down inside it (i).
    patches = as_strided(
        x,
        shape=(n, c, kh, kw, oh, ow),
        strides=(sn, sc, sh, sw, sh, sw),
        writeable=False,
    )
    # Six axes merge into three: the overlapping patches are copied here.
    return patches.reshape(n, c * kh * kw, oh * ow)


# --8<-- [end:im2col]


# --8<-- [start:broadcast_to]
def broadcast_to(x: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Read-only view of ``x`` as ``shape``: each stretched axis gets stride 0."""
    _check_target(x, shape)
    shape = tuple(shape)
    new = len(shape) - x.ndim
    # Rule 1: axes padded on the left read the same memory again: stride 0.
    strides = [0] * new
    for size, stride, target in zip(
        x.shape, x.strides, shape[new:], strict=True
    ):
        # Rule 3: a size-1 axis stretched to `target` stays in place too.
        strides.append(0 if size == 1 and target != 1 else stride)
    return as_strided(x, shape=shape, strides=strides, writeable=False)


# --8<-- [end:broadcast_to]
