"""Tensors and broadcasting: shape rules, strides and channel layouts (NumPy, PyTorch).

The chapter ``docs/tensors.md`` embeds the sections marked ``--8<--`` below.
This module imports only NumPy and PyTorch, so it can be copied on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

__all__ = [
    "broadcast_shapes",
    "contiguous_strides",
    "normalize_channels",
    "offset",
    "to_channels_first",
    "to_channels_last",
]


# --8<-- [start:checks]
def _as_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of sizes; an int ``n`` means ``(n,)``."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise TypeError(f"expected a shape (a tuple of ints), got {shape!r}")
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(
                f"expected integer sizes, got {size!r} in {tuple(shape)}"
            )
        if size < 0:
            raise ValueError(
                f"sizes must be non-negative, got {size} in {tuple(shape)}"
            )
    return tuple(int(size) for size in shape)


def _check_array(x, min_ndim: int, what: str) -> None:
    """Raise unless ``x`` is a NumPy array or torch tensor with ``min_ndim`` axes."""
    if not isinstance(x, (np.ndarray, torch.Tensor)):
        raise TypeError(
            f"expected a NumPy array or a torch tensor, got {type(x).__name__}"
        )
    if x.ndim < min_ndim:
        raise ValueError(f"expected {what}, got shape {tuple(x.shape)}")


def _check_images(images, mean, std, channel_axis: int) -> None:
    """Raise unless ``images`` are floating point with one mean and std per channel."""
    _check_array(images, 2, "images with a batch and a channel axis")
    if isinstance(images, torch.Tensor):
        floating = images.dtype.is_floating_point
    else:
        floating = np.issubdtype(images.dtype, np.floating)
    if not floating:
        raise TypeError(
            f"expected floating-point images, got dtype {images.dtype}; "
            "convert first, for example images / 255"
        )
    if not -images.ndim <= channel_axis < images.ndim:
        raise ValueError(
            f"channel_axis {channel_axis} is out of range "
            f"for {images.ndim} dimensions"
        )
    channels = images.shape[channel_axis]
    for name, values in (("mean", mean), ("std", std)):
        if tuple(np.shape(values)) != (channels,):
            raise ValueError(
                f"expected {name} of shape ({channels},), one value per "
                f"channel, got shape {tuple(np.shape(values))}"
            )
    if isinstance(std, torch.Tensor):
        std = std.detach().cpu()
    if not np.all(np.asarray(std) > 0):
        raise ValueError("every std must be positive")


def _check_index(index: Sequence[int], strides: Sequence[int]) -> None:
    """Raise unless ``index`` and ``strides`` are integers, one index per stride."""
    values = (*index, *strides)
    if not all(isinstance(v, (int, np.integer)) for v in values):
        raise TypeError(f"expected integers, got {index!r} and {strides!r}")
    if len(index) != len(strides):
        raise ValueError(
            f"expected one index per stride, got index {tuple(index)} "
            f"and strides {tuple(strides)}"
        )


# --8<-- [end:checks]


# --8<-- [start:broadcast_shapes]
def broadcast_shapes(*shapes: int | Sequence[int]) -> tuple[int, ...]:
    """Return the shape that ``shapes`` broadcast to, by NumPy's three rules."""
    result: tuple[int, ...] = ()
    for shape in map(_as_shape, shapes):
        # Rule 1: pad the shorter shape with ones on the left.
        ndim = max(len(result), len(shape))
        left = (1,) * (ndim - len(result)) + result
        right = (1,) * (ndim - len(shape)) + shape
        merged = []
        for axis, (a, b) in enumerate(zip(left, right, strict=True)):
            # Rule 2: sizes must agree, or one of them must be 1 ...
            if a != b and a != 1 and b != 1:
                raise ValueError(
                    f"shapes {result} and {shape} cannot be broadcast: "
                    f"at axis {axis - ndim} (counting from the right) the "
                    f"sizes are {a} and {b}; they must be equal or one of "
                    "them must be 1"
                )
            # Rule 3: ... and a size-1 axis is stretched to the other size.
            merged.append(b if a == 1 else a)
        result = tuple(merged)
    return result


# --8<-- [end:broadcast_shapes]


# --8<-- [start:normalize_channels]
def normalize_channels(images, mean, std, channel_axis: int = 1):
    """``(images - mean) / std`` per channel of ``(N, C, *spatial)`` images."""
    _check_images(images, mean, std, channel_axis)
    # One size per axis, 1 everywhere but the channel axis: the statistics
    # then broadcast over every other axis.
    stat_shape = [1] * images.ndim
    stat_shape[channel_axis] = images.shape[channel_axis]
    if isinstance(images, torch.Tensor):
        like = {"dtype": images.dtype, "device": images.device}
        mean = torch.as_tensor(mean, **like).reshape(stat_shape)
        std = torch.as_tensor(std, **like).reshape(stat_shape)
    else:
        mean = np.asarray(mean, dtype=images.dtype).reshape(stat_shape)
        std = np.asarray(std, dtype=images.dtype).reshape(stat_shape)
    return (images - mean) / std


# --8<-- [end:normalize_channels]


# --8<-- [start:strides]
def contiguous_strides(shape: Sequence[int], itemsize: int = 1) -> tuple:
    """Row-major strides of ``shape``: elements, or bytes given ``itemsize``."""
    strides = []
    step = itemsize  # the last axis steps one element at a time
    for size in reversed(_as_shape(shape)):
        strides.append(step)
        step *= max(size, 1)  # the axis to its left skips a whole row of it
    return tuple(reversed(strides))


def offset(index: Sequence[int], strides: Sequence[int]) -> int:
    """How far entry ``index`` sits past the start: the sum of i * s."""
    _check_index(index, strides)
    return sum(i * s for i, s in zip(index, strides, strict=True))


# --8<-- [end:strides]


# --8<-- [start:channels]
def to_channels_last(x):
    """View ``(N, C, *spatial)`` as ``(N, *spatial, C)``, without copying."""
    _check_array(x, 3, "(N, C, *spatial), at least 3 dimensions")
    if isinstance(x, torch.Tensor):
        return x.movedim(1, -1)
    return np.moveaxis(x, 1, -1)


def to_channels_first(x):
    """View ``(N, *spatial, C)`` as ``(N, C, *spatial)``, without copying."""
    _check_array(x, 3, "(N, *spatial, C), at least 3 dimensions")
    if isinstance(x, torch.Tensor):
        return x.movedim(-1, 1)
    return np.moveaxis(x, -1, 1)


# --8<-- [end:channels]
