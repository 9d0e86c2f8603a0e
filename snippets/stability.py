"""Numerically stable reductions: log-sum-exp, softmax, cross-entropy, clipping.

The chapter ``docs/numerical-stability.md`` embeds the sections marked
``--8<--`` below. This module imports only NumPy, so it can be copied on its
own.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = [
    "clip_grad_norm",
    "cross_entropy",
    "log_softmax",
    "logsumexp",
    "softmax",
    "streaming_logsumexp",
]


# --8<-- [start:checks]
def _as_float_array(x) -> np.ndarray:
    """Return ``x`` as a floating-point array (integers become float64)."""
    x = np.asarray(x)
    if x.dtype == bool or not np.issubdtype(x.dtype, np.number):
        raise TypeError(
            f"expected real numbers, got an array of dtype {x.dtype}"
        )
    if np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(f"expected real numbers, got complex dtype {x.dtype}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


def _check_axis(axis, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Return ``axis`` as a tuple of axes.

    ``axis`` is None (every axis), an int or a tuple of ints. An axis may be
    empty: as in PyTorch, log-sum-exp over it is -inf and softmax is empty.
    """
    ndim = len(shape)
    axes = tuple(range(ndim)) if axis is None else axis
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(
                f"axis {a} is out of range for an array of {ndim} dimensions"
            )
    return tuple(a % max(ndim, 1) for a in axes)


def _check_reduction(x, axis) -> tuple[np.ndarray, tuple[int, ...]]:
    """``x`` as a float array and ``axis`` as a tuple of its axes."""
    x = _as_float_array(x)
    return x, _check_axis(axis, x.shape)


def _check_cross_entropy(logits, targets) -> tuple[np.ndarray, np.ndarray]:
    """Logits ``(N, C)`` as floats and N integer targets in [0, C)."""
    logits = _as_float_array(logits)
    targets = np.asarray(targets)
    if logits.ndim != 2:
        raise ValueError(
            f"expected logits of shape (N, C), got shape {logits.shape}"
        )
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(
            f"expected integer class targets, got dtype {targets.dtype}"
        )
    n, c = logits.shape
    if targets.shape != (n,):
        raise ValueError(
            f"expected targets of shape ({n},), got shape {targets.shape}"
        )
    if n and (targets.min() < 0 or targets.max() >= c):
        raise ValueError(
            f"targets must lie in [0, {c}), got values from "
            f"{targets.min()} to {targets.max()}"
        )
    return logits, targets


def _check_grads(grads, max_norm: float) -> None:
    """Raise unless ``grads`` are float NumPy arrays and ``max_norm >= 0``."""
    for g in grads:
        if not isinstance(g, np.ndarray) or not np.issubdtype(
            g.dtype, np.floating
        ):
            raise TypeError(
                f"expected floating-point NumPy arrays, got {type(g).__name__}"
            )
    if max_norm < 0:
        raise ValueError(f"max_norm must be non-negative, got {max_norm}")


# --8<-- [end:checks]


# --8<-- [start:logsumexp]
def logsumexp(x, axis=None, keepdims: bool = False) -> np.ndarray:
    """Return ``log(sum(exp(x)))`` along ``axis`` without overflow.

    The result has the dtype of ``x``.
    """
    x, axes = _check_reduction(x, axis)
    # initial=-inf: the maximum of an empty axis is -inf, its sum 0.
    m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    # An axis of all -inf sums to zero: shift by 0 there instead of by -inf.
    m = np.where(np.isneginf(m), 0, m)
    is_max = x == m
    count = np.sum(is_max, axis=axes, keepdims=True)
    # x - m only overflows towards -inf, where exp gives 0; inf - inf at an
    # infinite maximum is masked out below.
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = x - m
    # The maxima contribute exactly exp(0) = 1 each. Summing only the others and
    # adding the count through log1p keeps full relative accuracy when the
    # result is close to m.
    rest = np.sum(
        np.exp(np.where(is_max, -np.inf, shifted)), axis=axes, keepdims=True
    )
    with np.errstate(divide="ignore"):  # count 0 means every entry was -inf
        out = (
            m
            + np.log(count.astype(x.dtype))
            + np.log1p(rest / np.maximum(count, 1))
        )
    if not keepdims:
        out = np.squeeze(out, axis=axes)
    return out.astype(x.dtype, copy=False)


# --8<-- [end:logsumexp]


# --8<-- [start:softmax]
def softmax(x, axis=-1) -> np.ndarray:
    """Return ``exp(x - max) / sum(exp(x - max))`` along ``axis``."""
    x, axes = _check_reduction(x, axis)
    m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    with np.errstate(over="ignore"):
        e = np.exp(x - m)
    return e / np.sum(e, axis=axes, keepdims=True)


def log_softmax(x, axis=-1) -> np.ndarray:
    """Return ``x - logsumexp(x)`` along ``axis``; it never overflows."""
    x, axes = _check_reduction(x, axis)
    # Shift by the maximum, or by 0 where it is not finite.
    m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(over="ignore"):
        shifted = x - m
    with np.errstate(divide="ignore"):
        return shifted - np.log(
            np.sum(np.exp(shifted), axis=axes, keepdims=True)
        )


# --8<-- [end:softmax]


# --8<-- [start:cross_entropy]
def cross_entropy(logits, targets) -> float:
    """Mean over the batch of ``-log softmax(logits)[n, targets[n]]``.

    ``logits`` is ``(N, C)``; ``targets`` holds N class indices.
    """
    logits, targets = _check_cross_entropy(logits, targets)
    log_p = log_softmax(logits, axis=1)
    return float(-log_p[np.arange(len(targets)), targets].mean())


# --8<-- [end:cross_entropy]


# --8<-- [start:streaming_logsumexp]
def streaming_logsumexp(blocks: Iterable) -> float:
    """Return the ``logsumexp`` of ``blocks``, holding one block at a time.

    No values at all (no blocks, or only empty ones) give -inf, as logsumexp.
    """
    running_max = -np.inf
    # the sum of exp(value - running_max) over the values seen so far
    running_sum = 0.0
    has_nan, has_inf = False, False
    for block in blocks:
        block = _as_float_array(block).astype(np.float64, copy=False)
        block_max = float(block.max(initial=-np.inf))  # nan if there is a nan
        has_nan |= bool(np.isnan(block_max))
        has_inf |= block_max == np.inf
        # exp(-inf) adds nothing; +inf and nan decide the result below.
        if not -np.inf < block_max < np.inf:
            continue
        if block_max > running_max:
            # A new maximum: rescale the sum so far to the new reference.
            running_sum *= np.exp(running_max - block_max)
            running_max = block_max
        running_sum += float(np.sum(np.exp(block - running_max)))
    if has_nan or has_inf:
        return np.nan if has_nan else np.inf  # as SciPy: a nan wins over +inf
    return (
        float(running_max + np.log(running_sum))
        if running_sum > 0
        else -np.inf
    )


# --8<-- [end:streaming_logsumexp]


# --8<-- [start:clip_grad_norm]
def clip_grad_norm(
    grads: list[np.ndarray], max_norm: float, eps: float = 1e-6
) -> float:
    """Scale ``grads`` in place to a global L2 norm of at most ``max_norm``.

    Return the norm they had before.
    """
    _check_grads(grads, max_norm)
    # The norm of the per-array norms is the norm of all entries together.
    total_norm = float(np.linalg.norm([np.linalg.norm(g) for g in grads]))
    # As torch.nn.utils.clip_grad_norm_: eps keeps the division finite, and
    # gradients are only ever scaled down.
    scale = min(max_norm / (total_norm + eps), 1.0)
    for g in grads:
        g *= scale
    return total_norm


# --8<-- [end:clip_grad_norm]
