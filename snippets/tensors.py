"""Tensors and broadcasting: shape rules and channel layouts (NumPy, PyTorch).

The chapter ``docs/tensors.md`` embeds the sections marked ``--8<--`` below.
This module imports only NumPy and PyTorch, so it can be copied on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

__all__ = [
    "broadcast_shapes",
    "normalize_channels",
    "to_channels_first",
    "to_channels_last",
]


# --8<-- [start:broadcast_shapes]
def _as_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of sizes; an int ``n`` means ``(n,)``."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise TypeError(f"expected a shape (a tuple of ints), got {shape!r}")
    sizes = []
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(
                f"expected integer sizes, got {size!r} in {tuple(shape)}"
            )
        if size < 0:
            raise ValueError(
                f"sizes must be non-negative, got {size} in {tuple(shape)}"
            )
        sizes.append(int(size))
    return tuple(sizes)


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
    """Return ``(images - mean) / std`` per channel (axis 1 by default)."""
    is_torch = isinstance(images, torch.Tensor)
    if not is_torch and not isinstance(images, np.ndarray):
        raise TypeError(
            "expected a NumPy array or a torch tensor, "
            f"got {type(images).__name__}"
        )
    if is_torch:
        floating = images.dtype.is_floating_point
    else:
        floating = np.issubdtype(images.dtype, np.floating)
    if not floating:
        raise TypeError(
            f"expected floating-point images, got dtype {images.dtype}; "
            "convert first, for example images / 255"
        )
    if images.ndim < 2:
        raise ValueError(
            "expected images with a batch and a channel axis, "
            f"got shape {tuple(images.shape)}"
        )
    if not -images.ndim <= channel_axis < images.ndim:
        raise ValueError(
            f"channel_axis {channel_axis} is out of range for "
            f"{images.ndim} dimensions"
        )
    channels = images.shape[channel_axis]
    # One size per axis, all 1 except the channel axis: the statistics then
    # broadcast over every axis but the channels.
    stat_shape = [1] * images.ndim
    stat_shape[channel_axis] = channels
    stats = []
    for name, values in (("mean", mean), ("std", std)):
        if is_torch:
            values = torch.as_tensor(
                values, dtype=images.dtype, device=images.device
            )
        else:
            values = np.asarray(values, dtype=images.dtype)
        if tuple(values.shape) != (channels,):
            raise ValueError(
                f"expected {name} of shape ({channels},), "
                "one value per channel, "
                f"got shape {tuple(values.shape)}"
            )
        stats.append(values.reshape(stat_shape))
    mean_b, std_b = stats
    if not bool((std_b > 0).all()):
        raise ValueError("every std must be positive")
    return (images - mean_b) / std_b


# --8<-- [end:normalize_channels]


# --8<-- [start:channels]
def _check_batched(x, what: str) -> None:
    """Raise unless ``x`` is an array or tensor with N, C and spatial axes."""
    if not isinstance(x, (np.ndarray, torch.Tensor)):
        raise TypeError(
            f"expected a NumPy array or a torch tensor, got {type(x).__name__}"
        )
    if x.ndim < 3:
        raise ValueError(
            f"expected {what}, at least 3 dimensions, "
            f"got shape {tuple(x.shape)}"
        )


def to_channels_last(x):
    """View ``(N, C, *spatial)`` as ``(N, *spatial, C)``, without copying."""
    _check_batched(x, "(N, C, *spatial)")
    return (
        x.movedim(1, -1)
        if isinstance(x, torch.Tensor)
        else np.moveaxis(x, 1, -1)
    )


def to_channels_first(x):
    """View ``(N, *spatial, C)`` as ``(N, C, *spatial)``, without copying."""
    _check_batched(x, "(N, *spatial, C)")
    return (
        x.movedim(-1, 1)
        if isinstance(x, torch.Tensor)
        else np.moveaxis(x, -1, 1)
    )


# --8<-- [end:channels]
