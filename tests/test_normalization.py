"""snippets/normalization.py against torch.nn, and its backward passes against
finite differences.

Tolerances: 1e-10 in float64 and 1e-5 in float32 against torch (absolute, on
values of order one); 4e-3 in float16, four units in its last place at order
one: both libraries compute float16 in float32 and round the result, and
PyTorch's RMSNorm rounds twice (before and after the weight). Finite
differences in float64 with a central step of 1e-6, to 1e-6 relative. NumPy
has no bfloat16: the layers refuse it (and torch tensors) with a TypeError.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from snippets.normalization import BatchNorm1d, BatchNorm2d, LayerNorm, RMSNorm

TOL = {np.float64: 1e-10, np.float32: 1e-5, np.float16: 4e-3}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32, np.float16: torch.float16}


def torch_twin(ours, dtype):
    """The torch module that ``ours`` imitates, with the same parameters; for
    float16 input, batch norm keeps float32 parameters and statistics, as autocast does."""
    tdtype = TORCH_DTYPE[dtype]
    if dtype == np.float16 and isinstance(ours, (BatchNorm1d, BatchNorm2d)):
        tdtype = torch.float32
    if isinstance(ours, BatchNorm2d):
        theirs = torch.nn.BatchNorm2d(ours.num_features, ours.eps, ours.momentum, dtype=tdtype)
    elif isinstance(ours, BatchNorm1d):
        theirs = torch.nn.BatchNorm1d(ours.num_features, ours.eps, ours.momentum, dtype=tdtype)
    elif isinstance(ours, LayerNorm):
        theirs = torch.nn.LayerNorm(ours.normalized_shape, ours.eps, dtype=tdtype)
    else:
        theirs = torch.nn.RMSNorm(ours.normalized_shape, ours.eps, dtype=tdtype)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.gamma))
        if hasattr(ours, "beta"):
            theirs.bias.copy_(torch.from_numpy(ours.beta))
    return theirs


def randomize(layer, rng):
    # Parameters that float16 holds exactly, so that a torch twin in float16 has the same.
    layer.gamma = rng.normal(size=layer.gamma.shape).astype(np.float16).astype(np.float64)
    if hasattr(layer, "beta"):
        layer.beta = rng.normal(size=layer.beta.shape).astype(np.float16).astype(np.float64)
    return layer


def relayout(x: np.ndarray, layout: str) -> np.ndarray:
    """The same values, stored C-ordered, Fortran-ordered, or as every other entry."""
    if layout == "fortran":
        return np.asfortranarray(x)
    if layout == "strided":
        return np.repeat(x, 2, axis=-1)[..., ::2]
    return x


def compare_step(ours, theirs, x, dy, tol):
    """One forward and backward through both; assert outputs, gradients and statistics agree."""
    # PyTorch's float16 backward on the CPU rounds intermediates to float16: the two
    # gradients of a LayerNorm over two values, which sum to 0, came out -0.0092 and
    # 0.0795. The reference gradient for float16 is its float32 backward on the same
    # values (its float16 forward is the reference output).
    grad_twin = copy.deepcopy(theirs).float() if x.dtype == np.float16 else theirs
    xt = torch.from_numpy(x.copy()).requires_grad_()
    yt = theirs(xt)
    xg = xt if grad_twin is theirs else torch.from_numpy(x.astype(np.float32)).requires_grad_()
    yg = yt if grad_twin is theirs else grad_twin(xg)
    yg.backward(torch.from_numpy(dy).to(yg.dtype))
    y = ours(x)
    dx = ours.backward(dy)
    assert y.dtype == x.dtype and dx.dtype == x.dtype
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=tol, rtol=tol)
    np.testing.assert_allclose(dx, xg.grad.numpy(), atol=tol, rtol=tol)
    # dgamma sums over the batch: the tolerance grows with the size of dy, taken
    # in float64 (a float16 sum of 196,608 values overflows and would make it inf).
    scale = max(1.0, float(np.sqrt(np.square(dy, dtype=np.float64).sum())))
    np.testing.assert_allclose(ours.dgamma, grad_twin.weight.grad.numpy(), atol=tol * scale)
    if hasattr(ours, "beta"):
        np.testing.assert_allclose(ours.dbeta, grad_twin.bias.grad.numpy(), atol=tol * scale)
    if hasattr(ours, "running_mean"):
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), atol=tol)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), atol=tol, rtol=tol)
    theirs.zero_grad()


@st.composite
def batchnorm_cases(draw):
    layer = draw(st.sampled_from([BatchNorm1d, BatchNorm2d]))
    channels = draw(st.integers(1, 4))
    batch = draw(st.integers(2, 5))
    extra = {
        BatchNorm1d: draw(st.sampled_from([(), (draw(st.integers(1, 4)),)])),
        BatchNorm2d: None,
    }
    spatial = (
        extra[layer] if layer is BatchNorm1d else (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    )
    dtype = draw(st.sampled_from([np.float64, np.float32, np.float16]))
    momentum = draw(st.sampled_from([0.1, 0.5, 1.0, None]))
    layout = draw(st.sampled_from(["C", "fortran", "strided"]))
    shape = (batch, channels, *spatial)
    return layer, shape, dtype, momentum, layout, draw(st.integers(0, 10**6))


@settings(max_examples=40, deadline=None)
@given(batchnorm_cases())
def test_batchnorm_matches_torch_through_training_and_evaluation(case):
    """float64/32/16, momentum None (a cumulative average), size-1 axes, and
    non-contiguous input."""
    layer_cls, shape, dtype, momentum, layout, seed = case
    rng = np.random.default_rng(seed)
    ours = randomize(layer_cls(shape[1], momentum=momentum), rng)
    theirs = torch_twin(ours, dtype)
    for _ in range(3):  # several steps, so the running statistics are compared too
        x = relayout((rng.normal(size=shape) * 3 + 1).astype(dtype), layout)
        dy = rng.normal(size=shape).astype(dtype)
        compare_step(ours, theirs, x, dy, TOL[dtype])
    ours.eval()
    theirs.eval()
    x = relayout(rng.normal(size=shape).astype(dtype), layout)
    compare_step(ours, theirs, x, rng.normal(size=shape).astype(dtype), TOL[dtype])


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([LayerNorm, RMSNorm]),
    # Normalizing a single value is degenerate (x - mean is rounding error over
    # sqrt(eps)), so every normalized shape holds at least two values.
    st.lists(st.integers(1, 4), min_size=1, max_size=2).filter(lambda s: np.prod(s) >= 2),
    st.lists(st.integers(0, 4), min_size=0, max_size=2),  # an empty batch is fine here
    st.sampled_from([np.float64, np.float32, np.float16]),
    st.sampled_from(["C", "fortran", "strided"]),
    st.integers(0, 10**6),
)
def test_per_sample_norms_match_torch(layer_cls, normalized, batch, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    ours = randomize(layer_cls(tuple(normalized)), rng)
    theirs = torch_twin(ours, dtype)
    shape = (*batch, *normalized)
    x = (rng.normal(size=shape) * 2 + 0.5).astype(dtype)
    # A sample whose values nearly coincide has a variance near eps, where the
    # output d / sqrt(d**2 + eps) turns rounding in d into visible error; two
    # float32 implementations then differ by 1e-4 (hypothesis found two values
    # 0.01 apart). That case is ill-conditioned, not a wrong formula.
    axes = tuple(range(len(batch), len(shape)))
    assume(np.all(x.astype(np.float64).var(axis=axes) > 1e-3))
    x = relayout(x, layout)
    compare_step(ours, theirs, x, rng.normal(size=shape).astype(dtype), TOL[dtype])


def test_batchnorm_on_float32_large_batch():
    rng = np.random.default_rng(0)
    ours = randomize(BatchNorm2d(8), rng)
    theirs = torch_twin(ours, np.float32)
    x = rng.normal(size=(16, 8, 12, 12)).astype(np.float32)
    compare_step(ours, theirs, x, rng.normal(size=x.shape).astype(np.float32), 1e-5)


def test_float16_batchnorm_of_a_large_batch_matches_torch():
    """65,536 values per channel: a count that float16 cannot hold (its largest is 65504)."""
    rng = np.random.default_rng(0)
    ours = BatchNorm2d(3)
    theirs = torch_twin(ours, np.float16)
    x = rng.standard_normal((64, 3, 32, 32)).astype(np.float16)
    dy = rng.standard_normal(x.shape).astype(np.float16)
    compare_step(ours, theirs, x, dy, TOL[np.float16])
    assert np.all(np.isfinite(ours(x)))
    ours.eval()
    theirs.eval()
    compare_step(ours, theirs, x, dy, TOL[np.float16])


@pytest.mark.parametrize("layer_cls", [LayerNorm, RMSNorm])
def test_float16_per_sample_norms_whose_squares_overflow_match_torch(layer_cls):
    """300 ** 2 = 90,000 overflows float16: the statistics must be taken in float32."""
    x = np.array([[300.0, 1.0, -2.0, 0.5]], dtype=np.float16)
    ours = layer_cls(4)
    expected = torch_twin(ours, np.float16)(torch.from_numpy(x)).detach().numpy()
    y = ours(x)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y, expected, rtol=TOL[np.float16], atol=TOL[np.float16])
    assert np.abs(y).max() > 1.7  # not the zeros of statistics taken in float16


def test_rmsnorm_default_eps_for_float16_is_float32s_as_in_torch():
    x = np.array([[1e-4, 0.0, 0.0, 0.0]])  # mean square 2.5e-9: eps decides the output
    for dtype in (np.float64, np.float32, np.float16):
        expected = torch.nn.RMSNorm(4, dtype=TORCH_DTYPE[dtype])(torch.from_numpy(x.astype(dtype)))
        y = RMSNorm(4)(x.astype(dtype))
        np.testing.assert_allclose(y, expected.detach().numpy(), rtol=TOL[dtype])


@pytest.mark.parametrize("special", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize(
    ("make", "shape"),
    [
        (lambda: BatchNorm2d(2), (3, 2, 2, 2)),
        (lambda: LayerNorm(4), (3, 4)),
        (lambda: RMSNorm(4), (3, 4)),
    ],
)
def test_non_finite_input_spreads_as_in_torch(make, shape, dtype, special):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(dtype)
    x.flat[1] = special
    ours = make()
    theirs = torch_twin(ours, dtype)
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        with np.errstate(invalid="ignore"):
            y = ours(x)
        expected = theirs(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(y, expected, rtol=TOL[dtype], atol=TOL[dtype])


def test_momentum_none_is_a_cumulative_average_as_in_torch():
    rng = np.random.default_rng(0)
    ours = BatchNorm2d(3, momentum=None)
    theirs = torch.nn.BatchNorm2d(3, momentum=None, dtype=torch.float64)
    for step in range(4):
        x = rng.normal(size=(4, 3, 2, 2)) * (step + 1) + step
        ours(x)
        theirs(torch.from_numpy(x))
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    assert ours.num_batches_tracked == int(theirs.num_batches_tracked) == 4


# --- gradient checks ----------------------------------------------------------------


def numerical_gradients(layer, x, dy, eps=1e-6):
    """Central differences of L = sum(y * dy) with respect to x, gamma and beta."""

    def loss():
        training = layer.training
        saved = (
            (layer.running_mean.copy(), layer.running_var.copy())
            if hasattr(layer, "running_mean")
            else None
        )
        value = float(np.sum(layer.forward(x) * dy))
        if saved is not None:  # a training forward updates the running statistics: undo it
            layer.running_mean, layer.running_var = saved
        layer.training = training
        return value

    results = []
    targets = [x, layer.gamma] + ([layer.beta] if hasattr(layer, "beta") else [])
    for array in targets:
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + eps
            plus = loss()
            array[index] = original - eps
            minus = loss()
            array[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        results.append(grad)
    return results


@pytest.mark.parametrize(
    ("make", "shape", "training"),
    [
        (lambda: BatchNorm1d(3), (5, 3), True),
        (lambda: BatchNorm1d(3), (4, 3, 2), True),
        (lambda: BatchNorm2d(2), (3, 2, 2, 3), True),
        (lambda: BatchNorm2d(2), (3, 2, 2, 3), False),
        (lambda: LayerNorm((3, 4)), (2, 3, 4), True),
        (lambda: RMSNorm(4), (3, 4), True),
    ],
)
def test_backward_passes_match_finite_differences(make, shape, training):
    rng = np.random.default_rng(0)
    layer = randomize(make(), rng)
    if hasattr(layer, "running_var"):
        layer.running_mean = rng.normal(size=layer.running_mean.shape)
        layer.running_var = rng.uniform(0.5, 2.0, size=layer.running_var.shape)
    layer.training = training
    x = rng.normal(size=shape) * 2 + 1
    dy = rng.normal(size=shape)
    expected = numerical_gradients(layer, x, dy)
    layer.forward(x)
    analytic = [layer.backward(dy), layer.dgamma] + (
        [layer.dbeta] if hasattr(layer, "beta") else []
    )
    for a, e in zip(analytic, expected, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-8)


class AsTorchFunction(torch.autograd.Function):
    """Our layer's forward and hand-written backward, as a torch function for gradcheck."""

    @staticmethod
    def forward(ctx, x, layer):
        ctx.layer = layer
        return torch.from_numpy(layer.forward(x.detach().numpy()))

    @staticmethod
    def backward(ctx, dy):
        return torch.from_numpy(ctx.layer.backward(dy.numpy())), None


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        (lambda: BatchNorm1d(3), (5, 3)),
        (lambda: BatchNorm2d(2), (3, 2, 2, 2)),
        (lambda: BatchNorm2d(2).eval(), (3, 2, 2, 2)),
        (lambda: LayerNorm(4), (3, 4)),
        (lambda: RMSNorm((2, 3)), (2, 2, 3)),
    ],
)
def test_backward_passes_pass_torch_gradcheck(make, shape):
    layer = randomize(make(), np.random.default_rng(1))
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x.requires_grad_()
    # gradcheck perturbs x and compares with our backward; every forward in
    # training mode also moves the running statistics, which do not enter the output.
    assert torch.autograd.gradcheck(lambda x: AsTorchFunction.apply(x, layer), (x,))


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: BatchNorm2d(3)(np.zeros((2, 3, 4))), ValueError, "4-D input"),
        (lambda: BatchNorm1d(3)(np.zeros((2, 3, 4, 5))), ValueError, "2-D or 3-D input"),
        (lambda: BatchNorm2d(3)(np.zeros((2, 4, 5, 5))), ValueError, "expected 3 channels"),
        (lambda: BatchNorm1d(3)(np.zeros((1, 3))), ValueError, "more than 1 value per channel"),
        (
            lambda: BatchNorm2d(3)(np.zeros((1, 3, 1, 1))),
            ValueError,
            "more than 1 value per channel",
        ),
        (lambda: BatchNorm1d(3)(np.zeros((2, 3), dtype=np.int64)), TypeError, "floating-point"),
        (lambda: BatchNorm1d(3)([[1.0, 2.0, 3.0]]), TypeError, "floating-point NumPy array"),
        (lambda: BatchNorm1d(0), ValueError, "num_features must be a positive integer"),
        (lambda: BatchNorm1d(3, momentum=1.5), ValueError, "momentum"),
        (
            lambda: BatchNorm1d(3, momentum="0.1"),
            ValueError,
            r"momentum must be a number in \[0, 1\] or None, got '0.1'",
        ),
        (lambda: BatchNorm1d(3, eps=0.0), ValueError, "eps must be positive"),
        (lambda: BatchNorm1d(3, eps="1e-5"), ValueError, r"eps must be positive \(a number"),
        (
            lambda: BatchNorm2d(3)(np.zeros((0, 3, 4, 4))),
            ValueError,
            r"expected a non-empty batch, got input shape \(0, 3, 4, 4\)",
        ),
        (
            lambda: BatchNorm2d(3).eval()(np.zeros((0, 3, 4, 4))),
            ValueError,
            r"expected a non-empty batch, got input shape \(0, 3, 4, 4\)",
        ),
        (
            lambda: BatchNorm1d(3).eval()(np.zeros((2, 3, 0))),
            ValueError,
            "expected a non-empty batch",
        ),
        (
            lambda: BatchNorm2d(3)(torch.zeros(2, 3, 2, 2, dtype=torch.bfloat16)),
            TypeError,
            "expected a floating-point NumPy array, got Tensor",
        ),
        (
            lambda: LayerNorm(4)(torch.zeros(2, 4, dtype=torch.bfloat16)),
            TypeError,
            "expected a floating-point NumPy array, got Tensor",
        ),
        (lambda: LayerNorm(4)(np.zeros((2, 5))), ValueError, r"ending in \(4,\)"),
        (lambda: LayerNorm((2, 0)), ValueError, "normalized_shape"),
        (lambda: RMSNorm(4)(np.zeros((2, 3))), ValueError, r"ending in \(4,\)"),
        (lambda: BatchNorm1d(3).backward(np.zeros((2, 3))), RuntimeError, "forward"),
    ],
)
def test_bad_input_is_rejected(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_backward_rejects_a_gradient_of_the_wrong_shape():
    layer = LayerNorm(4)
    layer(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"dy of shape \(2, 4\)"):
        layer.backward(np.zeros((3, 4)))


def test_evaluation_mode_accepts_a_single_sample():
    layer = BatchNorm1d(3).eval()
    assert layer(np.ones((1, 3))).shape == (1, 3)
