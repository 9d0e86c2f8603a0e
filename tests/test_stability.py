"""snippets/stability.py against SciPy and PyTorch.

Tolerances: 1e-12 relative in float64 (SciPy computes the same quantities by
the same shifts, so only rounding differs); 1e-6 relative in float32.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from snippets.stability import (
    clip_grad_norm,
    cross_entropy,
    log_softmax,
    logsumexp,
    softmax,
    streaming_logsumexp,
)

RTOL64 = 1e-12


@st.composite
def arrays_and_axis(draw, allow_neg_inf: bool = False):
    """A float64 array with magnitudes up to 1e300 and an axis argument for it."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    scale = draw(st.sampled_from([1.0, 1e3, 1e100, 1e300]))
    elements = st.floats(-1.0, 1.0, allow_nan=False).map(lambda v: v * scale)
    if allow_neg_inf:
        elements = st.one_of(elements, st.just(-np.inf))
    x = draw(hnp.arrays(np.float64, shape, elements=elements))
    axis = draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    return x, axis


# Relative tolerance of a result computed in each dtype against SciPy in float64:
# a few units in the last place (float16 has 11 significant bits).
RTOL = {np.float64: 1e-12, np.float32: 1e-6, np.float16: 4e-3}


@st.composite
def edge_arrays_and_axis(draw):
    """Arrays at the edges: float16/32/64, size-0 and size-1 axes, inf, -inf and nan,
    non-contiguous (a strided or transposed view), and an axis argument for them."""
    dtype = draw(st.sampled_from([np.float64, np.float32, np.float16]))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    # 1e300 overflows float16 and float32; 1e-6 is subnormal in float16, 1e-300
    # flushes to 0 there and in float32 and is tiny but normal in float64.
    scale = draw(st.sampled_from([1.0, 1e3, 1e300, 1e-6, 1e-300]))
    finite = st.floats(-1.0, 1.0).map(lambda v: v * scale)
    special = st.sampled_from([np.inf, -np.inf, np.nan])
    elements = st.one_of(finite, special) if draw(st.booleans()) else finite
    layout = draw(st.sampled_from(["contiguous", "strided", "transposed"]))
    big = (*shape[:-1], 2 * shape[-1]) if layout == "strided" else shape[::-1]
    x64 = draw(hnp.arrays(np.float64, big if layout != "contiguous" else shape, elements=elements))
    with np.errstate(over="ignore"):
        x = x64.astype(dtype)
    x = {"contiguous": x, "strided": x[..., ::2], "transposed": x.T}[layout]
    assert x.shape == shape
    axis = draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    return x, axis


def reduces_an_empty_axis(x: np.ndarray, axis) -> bool:
    axes = range(x.ndim) if axis is None else [axis]
    return any(x.shape[a] == 0 for a in axes)


TORCH = {
    logsumexp: lambda t, axis: torch.logsumexp(
        t, dim=tuple(range(t.ndim)) if axis is None else axis
    ),
    softmax: lambda t, axis: torch.softmax(t, dim=axis),
    log_softmax: lambda t, axis: torch.log_softmax(t, dim=axis),
}


def assert_as_torch_on_an_empty_axis(function, x: np.ndarray, axis) -> None:
    """Same shape, dtype and values as PyTorch: log-sum-exp -inf, softmax empty."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty axis is not an error: no warning
        out = function(x, axis=axis)
    expected = TORCH[function](torch.from_numpy(np.ascontiguousarray(x)), axis).numpy()
    assert out.dtype == x.dtype and out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("function", [logsumexp, softmax, log_softmax])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize(
    ("shape", "axis"),
    [
        ((5, 0, 0), 0),
        ((5, 0, 0), 1),
        ((5, 0, 0), 2),
        ((3, 0), 1),
        ((0,), 0),
        ((0, 3), 1),
        ((2, 0), None),
    ],
)
def test_an_empty_axis_reduces_as_in_pytorch(function, dtype, shape, axis):
    """Regression: an empty axis was refused; PyTorch gives -inf (logsumexp) or an empty array."""
    if function is not logsumexp and axis is None:
        axis = -1
    assert_as_torch_on_an_empty_axis(function, np.zeros(shape, dtype=dtype), axis)


def test_logsumexp_of_nothing_is_minus_infinity():
    assert logsumexp(np.array([])) == -np.inf
    np.testing.assert_array_equal(logsumexp(np.zeros((3, 0)), axis=1), [-np.inf] * 3)
    assert logsumexp(np.zeros((5, 0, 0)), axis=1).shape == (5, 0)
    assert streaming_logsumexp([]) == -np.inf
    assert streaming_logsumexp([np.array([]), np.array([])]) == -np.inf
    assert streaming_logsumexp([np.ones(2), np.array([])]) == pytest.approx(logsumexp(np.ones(2)))


@settings(max_examples=150, deadline=None)
@given(edge_arrays_and_axis())
# inf - inf and exp(inf) warn as NumPy should; the results are what is checked.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_reductions_at_the_edges_match_scipy(case):
    """inf, nan, huge and tiny values, float16, size-0/1 axes, non-contiguous
    views: as SciPy in float64, rounded to the input's dtype; an empty axis to
    reduce (which SciPy's softmax refuses) as PyTorch."""
    x, axis = case
    functions = [
        (logsumexp, scipy.special.logsumexp, axis),
        (softmax, scipy.special.softmax, -1 if axis is None else axis),
        (log_softmax, scipy.special.log_softmax, -1 if axis is None else axis),
    ]
    for ours, theirs, ax in functions:
        if reduces_an_empty_axis(x, ax):
            assert_as_torch_on_an_empty_axis(ours, x, ax)
            continue
        out = ours(x, axis=ax)
        with np.errstate(all="ignore"):
            expected = theirs(x.astype(np.float64), axis=ax)
        assert out.dtype == x.dtype and out.shape == np.shape(expected)
        eps = float(np.finfo(x.dtype).eps)
        # Probabilities below the dtype's smallest normal carry few bits in any
        # implementation; log-domain results near 0 have an absolute error of eps.
        atol = float(np.finfo(x.dtype).tiny) if ours is softmax else 4 * eps
        np.testing.assert_allclose(out, expected, rtol=RTOL[x.dtype.type], atol=atol)


def has_finite_entry(x: np.ndarray, axis) -> bool:
    return bool(np.all(np.any(np.isfinite(x), axis=axis)))


@settings(max_examples=300, deadline=None)
@given(arrays_and_axis())
def test_logsumexp_matches_scipy_on_finite_input_without_warnings(case):
    x, axis = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or invalid-value warning fails
        ours = logsumexp(x, axis=axis)
        ours_kept = logsumexp(x, axis=axis, keepdims=True)
    expected = scipy.special.logsumexp(x, axis=axis)
    np.testing.assert_allclose(ours, expected, rtol=RTOL64)
    assert ours_kept.shape == scipy.special.logsumexp(x, axis=axis, keepdims=True).shape


@settings(max_examples=300, deadline=None)
@given(arrays_and_axis(allow_neg_inf=True))
def test_logsumexp_matches_scipy_with_minus_infinity(case):
    x, axis = case
    ours = logsumexp(x, axis=axis)
    expected = scipy.special.logsumexp(x, axis=axis)
    np.testing.assert_allclose(ours, expected, rtol=RTOL64)


@settings(max_examples=300, deadline=None)
@given(arrays_and_axis())
def test_softmax_and_log_softmax_match_scipy_on_finite_input(case):
    x, axis = case
    axis = -1 if axis is None else axis
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = softmax(x, axis=axis)
        log_p = log_softmax(x, axis=axis)
    # Probabilities that underflow to subnormals carry few significant bits in
    # either implementation, hence the absolute floor far below any normal number.
    np.testing.assert_allclose(p, scipy.special.softmax(x, axis=axis), rtol=RTOL64, atol=1e-300)
    np.testing.assert_allclose(log_p, scipy.special.log_softmax(x, axis=axis), rtol=RTOL64)


@settings(max_examples=200, deadline=None)
@given(arrays_and_axis(allow_neg_inf=True))
def test_softmax_and_log_softmax_match_scipy_with_minus_infinity(case):
    x, axis = case
    axis = -1 if axis is None else axis
    if not has_finite_entry(x, axis):
        return  # an all -inf slice has no softmax; both libraries give nan
    p = softmax(x, axis=axis)
    np.testing.assert_allclose(p, scipy.special.softmax(x, axis=axis), rtol=RTOL64, atol=1e-300)
    log_p = log_softmax(x, axis=axis)
    np.testing.assert_allclose(log_p, scipy.special.log_softmax(x, axis=axis), rtol=RTOL64)


def test_logsumexp_special_values():
    assert logsumexp([-np.inf, -np.inf]) == -np.inf
    assert logsumexp([np.inf, 1.0]) == np.inf
    assert np.isnan(logsumexp([np.nan, 1.0]))
    # Near the maximum, log1p keeps the digits that log(1 + tiny) would lose.
    assert logsumexp([0.0, -40.0]) == pytest.approx(np.exp(-40.0), rel=1e-15)


@pytest.mark.parametrize("function", [logsumexp, softmax, log_softmax])
def test_float32_in_float32_out_and_close_to_float64(function):
    x = np.random.default_rng(0).normal(size=(8, 16)).astype(np.float32) * 100
    out = function(x, axis=-1)
    assert out.dtype == np.float32
    # log-domain results near 0 carry an absolute error of about float32's epsilon.
    atol = 1e-30 if function is softmax else 1e-6
    np.testing.assert_allclose(out, function(x.astype(np.float64), axis=-1), rtol=1e-6, atol=atol)


def test_against_torch_in_float32():
    x = np.random.default_rng(1).normal(size=(4, 10)).astype(np.float32) * 50
    t = torch.from_numpy(x)
    np.testing.assert_allclose(logsumexp(x, axis=1), torch.logsumexp(t, 1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(softmax(x), torch.softmax(t, -1).numpy(), rtol=1e-5, atol=1e-30)
    np.testing.assert_allclose(log_softmax(x), torch.log_softmax(t, -1).numpy(), rtol=1e-5)


def test_integer_input_is_computed_in_float64():
    assert logsumexp([1, 2, 3]).dtype == np.float64
    np.testing.assert_allclose(logsumexp([1, 2, 3]), np.log(np.exp([1, 2, 3]).sum()), rtol=1e-15)


# --- cross_entropy ------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.sampled_from([1.0, 100.0, 1e4]), st.integers(0, 99))
def test_cross_entropy_matches_torch(n, c, scale, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, c)) * scale
    targets = rng.integers(0, c, size=n)
    expected = torch.nn.functional.cross_entropy(
        torch.from_numpy(logits), torch.from_numpy(targets)
    )
    assert cross_entropy(logits, targets) == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)


def test_cross_entropy_is_finite_where_log_of_softmax_is_not():
    logits = np.array([[0.0, 200.0]], dtype=np.float32)
    with np.errstate(all="ignore"):  # overflow in exp, 0/inf, log(0): the failure shown
        naive = -np.log(np.exp(logits) / np.exp(logits).sum())[0, 0]
    assert naive == np.inf
    assert cross_entropy(logits, np.array([0])) == pytest.approx(200.0)


# --- streaming_logsumexp --------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.floats(-1e300, 1e300) | st.sampled_from([-np.inf, np.inf, np.nan]),
        min_size=1,
        max_size=60,
    ),
    st.lists(st.integers(0, 60), max_size=6),
    st.sampled_from([np.float64, np.float32, np.float16]),
    st.booleans(),
)
def test_streaming_logsumexp_equals_scipy_on_the_concatenation(values, cuts, dtype, strided):
    """Blocks with +inf, -inf and nan, in float16/32/64, contiguous or strided views."""
    with np.errstate(over="ignore"):
        x = np.array(values).astype(dtype)
    blocks = [b for b in np.split(x, sorted(set(cuts))) if b.size]
    if strided:  # the same values, each block a non-contiguous view of a larger array
        blocks = [np.repeat(b, 2)[::2] for b in blocks]
    with np.errstate(all="ignore"):
        expected = float(scipy.special.logsumexp(x.astype(np.float64)))
    ours = streaming_logsumexp(iter(blocks))
    if not np.isfinite(expected):  # inf, -inf or nan: exactly SciPy's
        assert ours == expected or (np.isnan(ours) and np.isnan(expected))
    else:
        # Rescaling the running sum adds a rounding per block, hence 1e-12 plus
        # an absolute term for results near zero.
        assert ours == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([[np.inf]], np.inf),
        ([[1.0, np.inf], [2.0]], np.inf),
        ([[1.0], [np.nan]], np.nan),
        ([[np.nan], [np.inf]], np.nan),
        ([[np.inf], [-np.inf, np.nan]], np.nan),
        ([[-np.inf], [-np.inf]], -np.inf),
        ([[-np.inf], [np.inf]], np.inf),
    ],
)
def test_streaming_logsumexp_special_values_as_scipy(blocks, expected):
    with np.errstate(all="ignore"):
        scipy_value = scipy.special.logsumexp(np.concatenate([np.asarray(b) for b in blocks]))
    np.testing.assert_equal(scipy_value, expected)
    np.testing.assert_equal(streaming_logsumexp(blocks), expected)


def test_streaming_logsumexp_reads_a_generator_once():
    rng = np.random.default_rng(0)
    blocks = [rng.normal(size=1000) * 30 for _ in range(20)]
    generator = (b for b in blocks)
    assert streaming_logsumexp(generator) == pytest.approx(
        float(scipy.special.logsumexp(np.concatenate(blocks))), rel=1e-12
    )


# --- clip_grad_norm -------------------------------------------------------------


@pytest.mark.parametrize("max_norm", [0.0, 0.5, 1.0, 100.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_norm_matches_torch(max_norm, dtype):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=s).astype(dtype) for s in [(3, 4), (5,), (2, 2, 2)]]
    params = [
        torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype)) for g in grads
    ]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    expected_norm = torch.nn.utils.clip_grad_norm_(params, max_norm).item()
    norm = clip_grad_norm(grads, max_norm)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert norm == pytest.approx(expected_norm, rel=rtol)
    for p, g in zip(params, grads, strict=True):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=rtol, atol=1e-12)


def test_clip_grad_norm_is_in_place_and_keeps_direction():
    g = [np.array([3.0, 4.0])]
    original = g[0]
    assert clip_grad_norm(g, 1.0) == 5.0
    assert g[0] is original
    np.testing.assert_allclose(original, [0.6, 0.8], rtol=1e-6)


# --- bad input --------------------------------------------------------------------


@pytest.mark.parametrize("function", [logsumexp, softmax, log_softmax])
def test_reductions_reject_bad_input(function):
    assert function(np.zeros((0, 3)), axis=1).shape[0] == 0  # nothing to reduce: empty
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        function(np.zeros((2, 2)), axis=2)
    with pytest.raises(TypeError, match="real numbers"):
        function(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="complex"):
        function(np.array([1j, 2j]))


def test_cross_entropy_rejects_bad_input():
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 4\)"):
        cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"targets must lie"):
        cross_entropy(logits, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"targets of shape \(3,\)"):
        cross_entropy(logits, np.array([[0, 1, 2]]))
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\)"):
        cross_entropy(np.zeros(4), np.array([0]))
    with pytest.raises(TypeError, match="integer class targets"):
        cross_entropy(logits, np.array([0.0, 1.0, 2.0]))


def test_streaming_and_clipping_reject_bad_input():
    with pytest.raises(TypeError, match="real numbers"):
        streaming_logsumexp([np.array(["a"])])
    with pytest.raises(ValueError, match="max_norm must be non-negative"):
        clip_grad_norm([np.ones(3)], -1.0)
    with pytest.raises(TypeError, match="floating-point NumPy arrays"):
        clip_grad_norm([[1.0, 2.0]], 1.0)
    with pytest.raises(TypeError, match="floating-point NumPy arrays"):
        clip_grad_norm([np.ones(3, dtype=np.int64)], 1.0)
