"""snippets/tensors.py against NumPy and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.tensors import (
    broadcast_shapes,
    contiguous_strides,
    normalize_channels,
    offset,
    to_channels_first,
    to_channels_last,
)

# --- broadcast_shapes ---------------------------------------------------------


@st.composite
def broadcastable_shapes(draw):
    """Several shapes that broadcast: each axis drawn from a target shape, or 1."""
    target = draw(st.lists(st.integers(0, 5), max_size=5))
    count = draw(st.integers(1, 4))
    shapes = []
    for _ in range(count):
        ndim = draw(st.integers(0, len(target)))
        tail = target[len(target) - ndim :]
        shapes.append(tuple(draw(st.sampled_from([size, 1])) for size in tail))
    return shapes


@settings(max_examples=500, deadline=None)
@given(broadcastable_shapes())
def test_broadcast_shapes_matches_numpy_on_compatible_shapes(shapes):
    assert broadcast_shapes(*shapes) == np.broadcast_shapes(*shapes)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.integers(0, 4), max_size=4).map(tuple), min_size=1, max_size=4))
def test_broadcast_shapes_agrees_with_numpy_on_any_shapes(shapes):
    # Arbitrary shapes: mostly incompatible, sometimes not. Both must agree on which.
    try:
        expected = np.broadcast_shapes(*shapes)
    except ValueError:
        with pytest.raises(ValueError, match="cannot be broadcast"):
            broadcast_shapes(*shapes)
    else:
        assert broadcast_shapes(*shapes) == expected


def test_broadcast_shapes_edge_cases():
    assert broadcast_shapes() == np.broadcast_shapes() == ()
    assert broadcast_shapes(3, (2, 1)) == np.broadcast_shapes(3, (2, 1)) == (2, 3)
    assert broadcast_shapes((5, 1), (0,)) == (5, 0)
    assert broadcast_shapes(torch.Size([2, 1]), np.int64(4)) == (2, 4)


def test_broadcast_shapes_error_names_the_axis_and_sizes():
    with pytest.raises(ValueError, match=r"axis -1 .* sizes are 3 and 4"):
        broadcast_shapes((2, 3), (4,))
    with pytest.raises(ValueError, match=r"axis -3 .* sizes are 2 and 5"):
        broadcast_shapes((2, 1, 1), (5, 1, 1))


@pytest.mark.parametrize(
    ("shape", "error"),
    [
        ((2, -1), ValueError),
        ((2, 1.5), TypeError),
        ("23", TypeError),
        (None, TypeError),
        ((True, 2), TypeError),
    ],
)
def test_broadcast_shapes_rejects_malformed_shapes(shape, error):
    with pytest.raises(error, match=r"expected|non-negative"):
        broadcast_shapes((2, 2), shape)


# --- normalize_channels -------------------------------------------------------

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def direct_normalization(images: np.ndarray) -> np.ndarray:
    """The same computation written out channel by channel, with no broadcasting of stats."""
    out = np.empty_like(images)
    for c in range(images.shape[1]):
        out[:, c] = (images[:, c] - MEAN[c]) / STD[c]
    return out


@pytest.mark.parametrize(("dtype", "tolerance"), [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_normalize_channels_numpy_matches_direct_computation(dtype, tolerance):
    images = np.random.default_rng(0).uniform(size=(4, 3, 5, 6)).astype(dtype)
    out = normalize_channels(images, MEAN, STD)
    assert out.dtype == dtype and out.shape == images.shape
    np.testing.assert_allclose(out, direct_normalization(images), rtol=tolerance)


@pytest.mark.parametrize(("dtype", "tolerance"), [(torch.float64, 1e-12), (torch.float32, 1e-6)])
def test_normalize_channels_torch_matches_torchvision_style_formula(dtype, tolerance):
    images = torch.rand(4, 3, 5, 6, generator=torch.Generator().manual_seed(0), dtype=dtype)
    out = normalize_channels(images, MEAN, STD)
    mean = torch.tensor(MEAN, dtype=dtype)[:, None, None]
    std = torch.tensor(STD, dtype=dtype)[:, None, None]
    assert out.dtype == dtype
    torch.testing.assert_close(out, (images - mean) / std, rtol=tolerance, atol=0)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 3), st.integers(2, 4))
def test_normalize_channels_any_channel_axis(channels, batch, size, ndim):
    rng = np.random.default_rng(1)
    mean = rng.normal(size=channels)
    std = rng.uniform(0.5, 2.0, size=channels)
    images = rng.normal(size=(batch, channels) + (size,) * (ndim - 2))
    expected = normalize_channels(images, mean, std, channel_axis=1)
    moved = np.moveaxis(images, 1, -1)
    out = normalize_channels(moved, mean, std, channel_axis=-1)
    np.testing.assert_allclose(np.moveaxis(out, -1, 1), expected, rtol=1e-12)


def test_normalize_channels_rejects_bad_input():
    images = np.zeros((2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"mean of shape \(3,\)"):
        normalize_channels(images, [0.0, 0.0], STD)
    with pytest.raises(ValueError, match=r"std of shape \(3,\)"):
        normalize_channels(images, MEAN, [[1.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="positive"):
        normalize_channels(images, MEAN, [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="out of range"):
        normalize_channels(images, MEAN, STD, channel_axis=4)
    with pytest.raises(ValueError, match="batch and a channel axis"):
        normalize_channels(np.zeros(3), MEAN, STD)
    with pytest.raises(TypeError, match="floating-point"):
        normalize_channels(np.zeros((2, 3, 4, 4), dtype=np.uint8), MEAN, STD)
    with pytest.raises(TypeError, match="floating-point"):
        normalize_channels(torch.zeros(2, 3, 4, 4, dtype=torch.int64), MEAN, STD)
    with pytest.raises(TypeError, match="NumPy array or a torch tensor"):
        normalize_channels([[1.0, 2.0, 3.0]], MEAN, STD)


# --- channel layouts ----------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 4, 5), (1, 2, 3, 4, 5)])
def test_channel_layouts_match_permute_and_round_trip(shape):
    x = torch.arange(int(np.prod(shape))).reshape(shape)
    order = (0, *range(2, len(shape)), 1)
    last = to_channels_last(x)
    assert torch.equal(last, x.permute(order))
    assert last.data_ptr() == x.data_ptr()  # a view, not a copy
    assert torch.equal(to_channels_first(last), x)
    a = x.numpy()
    assert np.array_equal(to_channels_last(a), a.transpose(order))
    assert np.shares_memory(to_channels_last(a), a)
    assert np.array_equal(to_channels_first(to_channels_last(a)), a)


def test_channel_layouts_reject_bad_input():
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        to_channels_last(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        to_channels_first(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="NumPy array or a torch tensor"):
        to_channels_last([[[1]]])


# --- strides ------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=5).map(tuple))
def test_contiguous_strides_match_torch_and_numpy(shape):
    assert contiguous_strides(shape) == torch.zeros(shape).stride()
    if 0 not in shape:  # NumPy sets every stride of an empty array to 0
        for dtype in (np.float16, np.float32, np.float64):
            x = np.zeros(shape, dtype)
            assert contiguous_strides(shape, x.itemsize) == x.strides


def test_offset_finds_every_entry_of_a_transpose():
    x = np.arange(6, dtype=np.int64).reshape(2, 3)
    t = x.T
    elements = tuple(s // t.itemsize for s in t.strides)
    assert elements == (1, 3) == torch.arange(6).reshape(2, 3).T.stride()
    for index in np.ndindex(t.shape):
        assert x.ravel()[offset(index, elements)] == t[index]
    reversed_view = np.arange(5)[::-1]  # a negative stride
    assert offset((1,), reversed_view.strides) == -8


def test_offset_rejects_bad_input():
    with pytest.raises(ValueError, match="one index per stride"):
        offset((1, 2), (3,))
    with pytest.raises(TypeError, match="expected integers"):
        offset((1.5,), (3,))
