"""snippets/conditioning.py against np.linalg, torch.linalg,
torch.nn.utils.parametrizations.spectral_norm and torch.func.hessian.

Tolerances, relative to the largest singular value (or to the values
compared): 1e-10 in float64, 1e-4 in float32 and 1e-2 in float16 for what is
computed exactly up to rounding (singular values by power iteration on a
matrix with a gap, Hessian-vector products).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.conditioning import (
    SpectralNormLinear,
    gd_least_squares,
    gd_quadratic,
    hessian_top_eigenvalue,
    hvp,
    power_iteration,
    spectral_norm,
)

from spectra import gapped_matrices, with_spectrum

TOL = {np.float64: 1e-10, np.float32: 1e-4, np.float16: 1e-2}
DTYPES = [np.float64, np.float32]


# ---------------------------------------------------------------- power iteration


@settings(max_examples=60, deadline=None)
@given(gapped_matrices(), st.sampled_from(DTYPES))
def test_power_iteration_matches_numpy_svd(case, dtype):
    a64, _ = case
    a = a64.astype(dtype)
    sigma, u, v = power_iteration(a)
    u_np, s_np, vt_np = np.linalg.svd(a.astype(np.float64))
    tol = TOL[dtype]
    assert sigma == pytest.approx(s_np[0], rel=tol)
    assert spectral_norm(a) == pytest.approx(np.linalg.norm(a64, 2), rel=tol)
    # Singular vectors are defined up to a common sign: compare u v^T.
    np.testing.assert_allclose(np.outer(u, v), np.outer(u_np[:, 0], vt_np[0]), atol=10 * tol)
    assert u.dtype == dtype and v.dtype == dtype


def test_spectral_norm_matches_torch_linalg():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((30, 20))
    expected = torch.linalg.matrix_norm(torch.from_numpy(a), ord=2).item()
    assert spectral_norm(a) == pytest.approx(expected, rel=1e-10)


def test_power_iteration_of_the_zero_matrix_is_zero():
    sigma, u, _ = power_iteration(np.zeros((3, 4)))
    assert sigma == 0.0 and not u.any()


# ---------------------------------------------------------------- conditioning


def test_gradient_descent_needs_more_steps_as_kappa_grows():
    rng = np.random.default_rng(0)
    b = rng.standard_normal(40)
    steps = [gd_least_squares(with_spectrum(40, 10, np.linspace(k, 1, 10)), b) for k in [1, 3, 10]]
    assert steps[0] == 1  # orthonormal columns, step 1: one step is exact
    assert steps[0] < steps[1] < steps[2]
    # The error contracts by at least 1 - 1/kappa^2 per step.
    assert steps[2] <= math.ceil(100 * math.log(1e6)) + 1


# ---------------------------------------------------------------- spectral normalization


@pytest.mark.parametrize("shape", [(5, 7), (7, 5), (1, 4), (6, 6)])
def test_spectral_norm_linear_matches_pytorch(shape):
    in_features, out_features = shape
    torch.manual_seed(0)
    ref = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(in_features, out_features))
    ours = SpectralNormLinear(in_features, out_features)
    sn = ref.parametrizations.weight
    with torch.no_grad():
        ours.weight.copy_(sn.original)
        ours.bias.copy_(ref.bias)
        ours.u.copy_(sn[0]._u)
        ours.v.copy_(sn[0]._v)
    x = torch.randn(4, in_features)
    optimizers = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (ours, ref)]
    for _ in range(3):  # float32: 1e-5 on values of order one
        out_ours, out_ref = ours(x), ref(x)
        torch.testing.assert_close(out_ours, out_ref, atol=1e-5, rtol=1e-5)
        for opt, out in zip(optimizers, (out_ours, out_ref), strict=True):
            opt.zero_grad()
            out.square().sum().backward()
        torch.testing.assert_close(ours.weight.grad, sn.original.grad, atol=1e-5, rtol=1e-4)
        for opt in optimizers:
            opt.step()
    ours.eval()
    ref.eval()
    torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)
    normalized = ours.weight.detach() / ours.sigma()
    torch.testing.assert_close(normalized, ref.weight, atol=1e-6, rtol=1e-5)
    # u^T W v <= sigma_1 for unit u, v: the estimate errs from below.
    assert torch.linalg.matrix_norm(normalized, ord=2).item() >= 1 - 1e-6


# ---------------------------------------------------------------- Hessian-vector products


def mlp_loss(dtype=torch.float64):
    """A tiny tanh network's mean squared error as a function of its 29 parameters."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 3, generator=g, dtype=torch.float64).to(dtype)
    y = torch.randn(20, generator=g, dtype=torch.float64).to(dtype)

    def loss(p: torch.Tensor) -> torch.Tensor:
        w1, b1, w2 = p[:15].reshape(5, 3), p[15:20], p[20:25]
        return ((torch.tanh(x @ w1.T + b1) @ w2 + p[25:].sum() - y) ** 2).mean()

    return loss, torch.randn(29, generator=g, dtype=torch.float64).to(dtype)


def test_hvp_matches_the_full_hessian():
    loss, p = mlp_loss()
    v = torch.randn(29, dtype=torch.float64)
    hessian = torch.func.hessian(loss)(p)
    torch.testing.assert_close(hvp(loss, p, v), hessian @ v, atol=1e-10, rtol=1e-10)
    loss32, p32 = mlp_loss(torch.float32)
    hv32 = hvp(loss32, p32, v.float())
    assert hv32.dtype == torch.float32
    torch.testing.assert_close(hv32, (hessian @ v).float(), atol=1e-4, rtol=1e-4)


def test_hessian_top_eigenvalue_matches_eigvalsh():
    loss, p = mlp_loss()
    eigenvalues = torch.linalg.eigvalsh(torch.func.hessian(loss)(p))
    top = eigenvalues[eigenvalues.abs().argmax()].item()
    value, v = hessian_top_eigenvalue(loss, p, iters=500)
    assert value == pytest.approx(top, rel=1e-6)
    assert v.norm().item() == pytest.approx(1.0)


def test_hessian_power_iteration_finds_the_largest_magnitude_even_if_negative():
    def loss(p):
        return p[0] ** 2 - 3 * p[1] ** 2

    value, _ = hessian_top_eigenvalue(loss, torch.zeros(2, dtype=torch.float64), iters=50)
    assert value == pytest.approx(-6.0)


# ---------------------------------------------------------------- scale of the entries


@pytest.mark.parametrize(
    ("dtype", "factor"),
    [
        (np.float32, 1e30),  # squares overflow float32 above about 1.8e19
        (np.float32, 1e-30),  # squares underflow to zero
        (np.float32, 3e38),  # near float32's largest value
        (np.float64, 1e200),  # squares overflow float64 above about 1.3e154
        (np.float64, 1e-200),
        (np.float64, 1e300),
    ],
)
def test_power_iteration_is_right_for_huge_and_tiny_entries(dtype, factor):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((8, 5))
    a /= np.abs(a).max()  # entries in [-1, 1], so that a * factor is finite
    exact = np.linalg.svd(a, compute_uv=False)[0]
    scaled = (a * factor).astype(dtype)
    assert np.isfinite(scaled).all()
    sigma, u, _ = power_iteration(scaled)
    assert math.isfinite(sigma)
    assert sigma == pytest.approx(exact * factor, rel=TOL[dtype] * 10)
    assert spectral_norm(scaled) == pytest.approx(sigma)
    assert np.linalg.norm(u) == pytest.approx(1.0, rel=1e-3)


def test_power_iteration_accepts_float16():
    a = with_spectrum(6, 4, np.array([3.0, 1.0, 0.5, 0.1])).astype(np.float16)
    sigma, u, v = power_iteration(a * np.float16(1e4))  # squares overflow float16
    assert u.dtype == np.float16 and v.dtype == np.float16
    exact = np.linalg.svd(a.astype(np.float64), compute_uv=False)[0]
    assert sigma == pytest.approx(1e4 * exact, rel=1e-2)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_power_iteration_refuses_non_finite_entries(bad, dtype):
    a = np.ones((3, 3), dtype=dtype)
    a[1, 2] = bad
    with pytest.raises(ValueError, match="only finite values"):
        power_iteration(a)
    with pytest.raises(ValueError, match="only finite values"):
        spectral_norm(a)


# ---------------------------------------------------------------- gradient descent on a quadratic


def test_gd_quadratic_matches_the_hand_computation():
    path = gd_quadratic(np.diag([1.0, 10.0]), np.array([1.0, 1.0]), 0.15, 2)
    np.testing.assert_allclose(path, [[1, 1], [0.85, -0.5], [0.7225, 0.25]], atol=1e-15)
    assert gd_quadratic(np.eye(3), np.ones(3), 0.5, 0).shape == (1, 3)


def test_gd_quadratic_converges_below_two_over_lambda_max_only():
    h = np.diag([1.0, 10.0])
    assert np.linalg.norm(gd_quadratic(h, np.ones(2), 0.19, 100)[-1]) < 1e-4
    assert np.linalg.norm(gd_quadratic(h, np.ones(2), 0.21, 100)[-1]) > 1e3


@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0])
def test_gd_quadratic_best_step_contracts_by_kappa_minus_one_over_kappa_plus_one(kappa):
    h = np.diag([1.0, kappa])
    path = gd_quadratic(h, np.array([1.0, 1.0]), 2 / (1 + kappa), 5)
    rate = (kappa - 1) / (kappa + 1)
    np.testing.assert_allclose(np.abs(path[:, 0]), rate ** np.arange(6), rtol=1e-12)


# ---------------------------------------------------------------- the page's claims


def test_least_squares_with_a_large_residual_amplifies_by_kappa_over_cos_theta():
    rng = np.random.default_rng(0)
    u, _ = np.linalg.qr(rng.standard_normal((100, 100)))
    v, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    a = (u[:, :10] * np.linspace(10, 1, 10)) @ v.T
    db = 1e-8 * u[:, 9]
    for cos in [1.0, 1e-3]:
        b = cos * u[:, 0] + np.sqrt(1 - cos**2) * u[:, 10]
        x = np.linalg.lstsq(a, b, rcond=None)[0]
        dx = np.linalg.lstsq(a, db, rcond=None)[0]
        amplification = (np.linalg.norm(dx) / np.linalg.norm(x)) / np.linalg.norm(db)
        assert amplification == pytest.approx(10 / cos, rel=1e-3)


# ---------------------------------------------------------------- bad input

GOOD = np.ones((3, 2))
MATRIX_FUNCTIONS = {
    "power_iteration": lambda a: power_iteration(a),
    "spectral_norm": lambda a: spectral_norm(a),
    "gd_least_squares": lambda a: gd_least_squares(a, np.ones(len(a))),
}
BAD_MATRICES = [
    ([[1.0, 2.0]], TypeError, "must be a NumPy array"),
    (np.ones(3), ValueError, "must be 2-D"),
    (np.ones((2, 2, 2)), ValueError, "must be 2-D"),
    (np.ones((3, 2), dtype=np.int64), TypeError, "float16, float32 or float64"),
    (np.ones((3, 2), dtype=bool), TypeError, "float16, float32 or float64"),
    (np.ones((0, 2)), ValueError, "must not be empty"),
    (np.array([[1.0, np.nan]]), ValueError, "only finite values"),
    (np.array([[np.inf, 1.0]]), ValueError, "only finite values"),
]


@pytest.mark.parametrize("function", MATRIX_FUNCTIONS.values(), ids=MATRIX_FUNCTIONS.keys())
@pytest.mark.parametrize(("a", "error", "message"), BAD_MATRICES)
def test_bad_matrices_are_refused(function, a, error, message):
    with pytest.raises(error, match=message):
        function(a)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: power_iteration(GOOD, iters=0), ValueError, "iters must be in"),
        (lambda: power_iteration(GOOD, iters=2.0), TypeError, "iters must be an int"),
        (lambda: gd_least_squares(GOOD, np.ones(2)), ValueError, r"shape \(3,\)"),
        (lambda: gd_least_squares(GOOD, [1.0, 1.0, 1.0]), TypeError, "b must be a NumPy"),
        (lambda: gd_least_squares(GOOD, np.ones(3), max_iters=0), ValueError, "iters"),
        (lambda: gd_quadratic(np.eye(2), np.ones(3), 0.1, 1), ValueError, r"\(3, 3\)"),
        (lambda: gd_quadratic(np.ones((2, 3)), np.ones(2), 0.1, 1), ValueError, r"\(2, 2\)"),
        (lambda: gd_quadratic(np.eye(2), np.ones(2), 0.1, -1), ValueError, "steps must be"),
        (lambda: gd_quadratic(np.eye(2, dtype=int), np.ones(2), 0.1, 1), TypeError, "h must"),
        (lambda: SpectralNormLinear(0, 3), ValueError, "in_features must be"),
        (lambda: SpectralNormLinear(3, 0), ValueError, "out_features must be"),
        (lambda: SpectralNormLinear(3, 3, iters=0), ValueError, "iters must be"),
    ],
)
def test_bad_arguments_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


def square(p: torch.Tensor) -> torch.Tensor:
    return (p**2).sum()


@pytest.mark.parametrize(
    ("params", "vector", "error", "message"),
    [
        ([1.0, 2.0], torch.ones(2), TypeError, "params must be a torch.Tensor"),
        (torch.ones(2, 2), torch.ones(2, 2), ValueError, r"params must be 1-D \(P,\)"),
        (torch.ones(2, dtype=torch.int64), torch.ones(2), TypeError, "float32 or float64"),
        (torch.tensor([1.0, math.nan]), torch.ones(2), ValueError, "only finite values"),
        (torch.ones(2), torch.ones(3), ValueError, "vector must have the shape of params"),
        (torch.ones(2), torch.tensor([math.inf, 1.0]), ValueError, "only finite values"),
    ],
)
def test_bad_hvp_input_is_refused(params, vector, error, message):
    with pytest.raises(error, match=message):
        hvp(square, params, vector)


def test_bad_hessian_iterations_are_refused():
    with pytest.raises(ValueError, match="iters must be in"):
        hessian_top_eigenvalue(square, torch.ones(2), iters=0)
    with pytest.raises(TypeError, match="float32 or float64"):
        hessian_top_eigenvalue(square, torch.ones(2, dtype=torch.int32))
