"""snippets/strides.py against NumPy's stride tricks and PyTorch's unfold and expand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from snippets.strides import broadcast_to, im2col, sliding_windows, span

# Views copy nothing, so every comparison below is exact, for every dtype.
DTYPES = [np.float16, np.float32, np.float64, np.int64]
EDGE_FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=16)

# --- span ---------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
def test_span_of_a_contiguous_array_is_its_size_in_bytes(shape):
    x = np.zeros(shape)
    assert span(x.shape, x.strides, x.itemsize) == x.nbytes


def test_span_of_views_matches_byte_bounds():
    x = np.arange(24.0).reshape(4, 6)
    for view in (x.T, x[::2, 1:], x[:, ::3], np.broadcast_to(x[0], (5, 6))):
        low, high = np.lib.array_utils.byte_bounds(view)
        assert span(view.shape, view.strides, view.itemsize) == high - low


# --- sliding windows ----------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_sliding_windows_match_sliding_window_view(dtype, data):
    length = data.draw(st.integers(1, 12))
    width = data.draw(st.integers(1, length))
    x = np.arange(length).astype(dtype)
    windows = sliding_windows(x, width)
    expected = sliding_window_view(x, width)
    assert windows.shape == expected.shape == (length - width + 1, width)
    np.testing.assert_array_equal(windows, expected)
    assert windows.strides == expected.strides
    assert np.shares_memory(windows, x) and not windows.flags.writeable


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float16, st.integers(1, 10), elements=EDGE_FLOATS))
def test_sliding_windows_keep_inf_nan_and_float16_bits(x):
    windows = sliding_windows(x, 1)
    assert windows.dtype == np.float16
    np.testing.assert_array_equal(windows[:, 0].view(np.uint16), x.view(np.uint16))


def test_sliding_windows_of_a_strided_array_step_by_its_stride():
    x = np.arange(20.0)[::3]  # stride 24 bytes, not 8
    np.testing.assert_array_equal(sliding_windows(x, 2), sliding_window_view(x, 2))


def test_sliding_windows_never_read_past_the_buffer():
    x = np.arange(7.0)
    for width in range(1, 8):
        w = sliding_windows(x, width)
        assert span(w.shape, w.strides, w.itemsize) <= x.nbytes
    # as_strided itself checks nothing: one window too many reaches past the end.
    too_many = ((x.shape[0] - 3 + 2), 3)
    assert span(too_many, (8, 8), 8) > x.nbytes


def test_writing_through_an_overlapping_view_changes_several_windows():
    x = np.arange(5.0)
    w = as_strided(x, shape=(3, 3), strides=(8, 8))  # writeable: the unsafe form
    w[0, 2] = 100.0
    assert w[1, 1] == w[2, 0] == x[2] == 100.0


@pytest.mark.parametrize(
    ("x", "width", "error"),
    [
        (np.arange(5.0), 0, ValueError),
        (np.arange(5.0), 6, ValueError),
        (np.arange(5.0), 2.0, TypeError),
        (np.arange(5.0), True, TypeError),
        (np.zeros((2, 3)), 2, ValueError),
        ([1.0, 2.0], 1, TypeError),
    ],
)
def test_sliding_windows_reject_bad_input(x, width, error):
    with pytest.raises(error, match="expected"):
        sliding_windows(x, width)


# --- im2col -------------------------------------------------------------------

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_im2col_matches_torch_unfold(dtype, data):
    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    h, w = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    kh, kw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    x = np.random.default_rng(0).normal(size=(n, c, h, w)).astype(dtype)
    expected = torch.nn.functional.unfold(torch.from_numpy(x), (kh, kw)).numpy()
    out = im2col(x, kh, kw)
    assert out.dtype == dtype and out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)  # a copy of entries: exact


def test_im2col_of_a_non_contiguous_batch_and_size_1_axes():
    x = np.arange(2 * 5 * 4 * 3, dtype=np.float64).reshape(2, 5, 4, 3)
    nchw = x.transpose(0, 3, 1, 2)  # (2, 3, 5, 4), channels-last memory
    expected = torch.nn.functional.unfold(torch.from_numpy(nchw.copy()), (2, 2))
    np.testing.assert_array_equal(im2col(nchw, 2, 2), expected.numpy())
    one = np.arange(6.0).reshape(1, 1, 2, 3)
    np.testing.assert_array_equal(im2col(one, 1, 1), one.reshape(1, 1, 6))
    np.testing.assert_array_equal(im2col(one, 2, 3), one.reshape(1, 6, 1))


def test_im2col_keeps_inf_and_nan():
    x = np.array([np.inf, -np.inf, np.nan, 1e-45, 3e38, 0.0], np.float32)
    x = x.reshape(1, 1, 2, 3)
    expected = torch.nn.functional.unfold(torch.from_numpy(x), (2, 2)).numpy()
    np.testing.assert_array_equal(im2col(x, 2, 2), expected)


def test_im2col_times_weights_is_a_convolution():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 6, 5))
    weight = rng.normal(size=(4, 3, 3, 2))  # (out, in, kh, kw)
    out = weight.reshape(4, -1) @ im2col(x, 3, 2)  # (N, out, L)
    conv = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(weight))
    np.testing.assert_allclose(out.reshape(conv.shape), conv.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("shape", "kh", "kw", "error"),
    [
        ((1, 1, 3, 3), 4, 1, ValueError),
        ((1, 1, 3, 3), 1, 0, ValueError),
        ((1, 1, 3, 3), 1.5, 1, TypeError),
        ((1, 3, 3), 1, 1, ValueError),
    ],
)
def test_im2col_rejects_bad_input(shape, kh, kw, error):
    with pytest.raises(error, match="expected"):
        im2col(np.zeros(shape), kh, kw)
    with pytest.raises(TypeError, match="NumPy array"):
        im2col(torch.zeros(1, 1, 3, 3), 1, 1)


# --- broadcasting as stride 0 -------------------------------------------------


@st.composite
def shape_and_target(draw):
    """A shape and a shape it broadcasts to: padded on the left, size-1 axes stretched."""
    target = draw(st.lists(st.integers(0, 4), max_size=4))
    ndim = draw(st.integers(0, len(target)))
    tail = target[len(target) - ndim :]
    shape = tuple(draw(st.sampled_from([size, 1])) for size in tail)
    return shape, tuple(target)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=100, deadline=None)
@given(shape_and_target())
def test_broadcast_to_matches_numpy_and_torch_expand(dtype, shapes):
    shape, target = shapes
    x = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    view = broadcast_to(x, target)
    expected = np.broadcast_to(x, target)
    assert view.shape == expected.shape == target
    np.testing.assert_array_equal(view, expected)
    if 0 not in target:  # a size-1 axis's stride is never used: NumPy may set 0
        for axis, size in enumerate(target):
            assert size == 1 or view.strides[axis] == expected.strides[axis]
        assert np.shares_memory(view, x)
    assert not view.flags.writeable
    expanded = torch.from_numpy(x).expand(target)
    np.testing.assert_array_equal(view, expanded.numpy())
    for axis, size in enumerate(target):
        if size > 1 and expanded.stride(axis) == 0:  # torch's stride is in elements
            assert view.strides[axis] == 0


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float16, st.integers(1, 4), elements=EDGE_FLOATS))
def test_broadcast_to_keeps_float16_inf_and_nan(x):
    view = broadcast_to(x, (3, x.shape[0]))
    assert view.strides == (0, 2)
    for row in view:
        np.testing.assert_array_equal(row.view(np.uint16), x.view(np.uint16))


def test_broadcast_to_of_a_transposed_array_keeps_its_strides():
    x = np.arange(6.0).reshape(2, 3).T[:, :1]  # (3, 1), stride 8 on axis 0
    view = broadcast_to(x, (2, 3, 4))
    assert view.strides == (0, 8, 0)
    np.testing.assert_array_equal(view, np.broadcast_to(x, (2, 3, 4)))


@pytest.mark.parametrize(
    ("shape", "target", "error"),
    [
        ((3,), (4,), ValueError),
        ((2, 3), (3,), ValueError),
        ((3,), (2, -3), TypeError),
        ((3,), (2, 3.0), TypeError),
    ],
)
def test_broadcast_to_rejects_bad_input(shape, target, error):
    with pytest.raises(error, match=r"cannot broadcast|expected"):
        broadcast_to(np.zeros(shape), target)
    with pytest.raises(TypeError, match="NumPy array"):
        broadcast_to([1.0], (2, 1))
