"""snippets/low_rank.py against np.linalg, torch.linalg, torch.svd_lowrank,
torch.nn.utils.parametrizations.spectral_norm and torch.func.hessian.

Tolerances, relative to the largest singular value (or to the values
compared): 1e-10 in float64 and 1e-4 in float32 for what is computed exactly
up to rounding (singular values by power iteration on a matrix with a gap,
truncated SVDs, Hessian-vector products); a randomized SVD is compared with
the optimum by ratios of errors, not by digits.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.low_rank import (
    LoRALinear,
    SpectralNormLinear,
    accuracy,
    best_low_rank,
    compress_mlp,
    gd_least_squares,
    hessian_top_eigenvalue,
    hvp,
    make_data,
    power_iteration,
    randomized_svd,
    range_finder,
    spectral_norm,
    train_mlp,
)

TOL = {np.float64: 1e-10, np.float32: 1e-4}
DTYPES = [np.float64, np.float32]


def with_spectrum(m: int, n: int, s: np.ndarray, seed: int = 0) -> np.ndarray:
    """A matrix (m, n) whose singular values are s (padded with zeros)."""
    rng = np.random.default_rng(seed)
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal((m, k)))
    v, _ = np.linalg.qr(rng.standard_normal((n, k)))
    full = np.zeros(k)
    full[: len(s)] = s
    return (u * full) @ v.T


@st.composite
def gapped_matrices(draw):
    """(a, singular values): tall, wide, square, size 1, rank-deficient too."""
    m = draw(st.integers(1, 12))
    n = draw(st.integers(1, 12))
    rank = draw(st.integers(1, min(m, n)))
    # The top singular value is at least 1.5 times the next: power
    # iteration then converges to rounding level in 500 steps.
    top = draw(st.floats(0.1, 100.0))
    rest = draw(st.lists(st.floats(0.0, 1.0), min_size=rank - 1, max_size=rank - 1))
    s = np.array([top, *sorted((top * r / 1.5 for r in rest), reverse=True)])
    seed = draw(st.integers(0, 2**32 - 1))
    return with_spectrum(m, n, s, seed), s


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


# ---------------------------------------------------------------- Eckart-Young


@settings(max_examples=60, deadline=None)
@given(gapped_matrices(), st.sampled_from(DTYPES), st.data())
def test_best_low_rank_error_is_the_tail_of_the_spectrum(case, dtype, data):
    a64, _ = case
    a = a64.astype(dtype)
    s = np.linalg.svd(a.astype(np.float64), compute_uv=False)
    k = data.draw(st.integers(1, min(a.shape)))
    approx = best_low_rank(a, k)
    assert approx.shape == a.shape and approx.dtype == dtype
    err = (a - approx).astype(np.float64)
    scale = TOL[dtype] * max(s[0], 1e-300)
    tail = s[k:]
    assert abs(np.linalg.norm(err, 2) - (tail[0] if tail.size else 0)) <= 10 * scale
    assert abs(np.linalg.norm(err) - np.sqrt((tail**2).sum())) <= 10 * scale
    assert np.linalg.matrix_rank(approx.astype(np.float64), tol=100 * scale) <= k


def test_best_low_rank_matches_torch_linalg_svd():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((9, 6))
    u, s, vh = torch.linalg.svd(torch.from_numpy(a), full_matrices=False)
    expected = (u[:, :3] * s[:3]) @ vh[:3]
    np.testing.assert_allclose(best_low_rank(a, 3), expected.numpy(), atol=1e-10)


def test_best_low_rank_beats_other_rank_k_matrices():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((20, 15))
    best = np.linalg.norm(a - best_low_rank(a, 4))
    for _ in range(20):
        q, _ = np.linalg.qr(rng.standard_normal((20, 4)))
        assert np.linalg.norm(a - q @ (q.T @ a)) >= best  # projection on q


# ---------------------------------------------------------------- randomized SVD


def decaying(m: int, n: int, seed: int = 0) -> np.ndarray:
    return with_spectrum(m, n, 0.9 ** np.arange(min(m, n)), seed)


@pytest.mark.parametrize("shape", [(200, 120), (120, 200), (150, 150)])
def test_randomized_svd_is_near_optimal_and_matches_torch(shape):
    a = decaying(*shape)
    k = 10
    s = np.linalg.svd(a, compute_uv=False)
    u, s_r, vt = randomized_svd(a, k)
    assert u.shape == (shape[0], k) and s_r.shape == (k,) and vt.shape == (k, shape[1])
    np.testing.assert_allclose(u.T @ u, np.eye(k), atol=1e-10)
    np.testing.assert_allclose(vt @ vt.T, np.eye(k), atol=1e-10)
    ours = np.linalg.norm(a - (u * s_r) @ vt, 2)
    assert s[k] <= ours <= 1.05 * s[k]  # within 5% of Eckart-Young
    np.testing.assert_allclose(s_r, s[:k], rtol=1e-3)
    torch.manual_seed(0)
    tu, ts, tv = torch.svd_lowrank(torch.from_numpy(a), q=k + 10, niter=2)
    theirs = np.linalg.norm(a - ((tu[:, :k] * ts[:k]) @ tv[:, :k].T).numpy(), 2)
    assert ours <= 1.05 * theirs


@settings(max_examples=60, deadline=None)
@given(gapped_matrices(), st.sampled_from(DTYPES), st.data())
def test_randomized_svd_recovers_a_low_rank_matrix_exactly(case, dtype, data):
    a64, s = case
    rank = int((s > 0).sum())
    a = a64.astype(dtype)
    k = data.draw(st.integers(min(rank, min(a.shape)), min(a.shape)))
    u, s_r, vt = randomized_svd(a, k, oversample=data.draw(st.integers(0, 5)))
    assert u.dtype == dtype and s_r.dtype == dtype
    scale = TOL[dtype] * s[0]
    assert np.abs((u * s_r) @ vt - a).max() <= 10 * scale
    s_np = np.linalg.svd(a64, compute_uv=False)[:k]
    np.testing.assert_allclose(s_r, s_np, atol=10 * scale)


def test_range_finder_is_orthonormal():
    q = range_finder(decaying(50, 40), 8)
    np.testing.assert_allclose(q.T @ q, np.eye(8), atol=1e-12)


def test_power_iterations_improve_a_flat_spectrum():
    a = with_spectrum(300, 300, 1 / np.sqrt(np.arange(1, 301)))
    s = np.linalg.svd(a, compute_uv=False)
    errors = []
    for p in [0, 1, 3]:
        u, s_r, vt = randomized_svd(a, 10, power_iters=p)
        errors.append(np.linalg.norm(a - (u * s_r) @ vt, 2) / s[10])
    assert errors[0] > errors[1] > errors[2] >= 1


# ---------------------------------------------------------------- conditioning


def test_gradient_descent_needs_more_steps_as_kappa_grows():
    rng = np.random.default_rng(0)
    b = rng.standard_normal(40)
    steps = [gd_least_squares(with_spectrum(40, 10, np.linspace(k, 1, 10)), b) for k in [1, 3, 10]]
    assert steps[0] == 1  # orthonormal columns, step 1: one step is exact
    assert steps[0] < steps[1] < steps[2]
    # The error contracts by at least 1 - 1/kappa^2 per step.
    assert steps[2] <= math.ceil(100 * math.log(1e6)) + 1


# ---------------------------------------------------------------- MLP compression


def test_compress_mlp_at_full_rank_changes_nothing_and_rank_one_is_rank_one():
    x, y = make_data(200)
    model = train_mlp(x, y, steps=5)
    full = compress_mlp(model, 64)
    with torch.no_grad():
        torch.testing.assert_close(full(x), model(x), atol=1e-5, rtol=1e-5)
    one = compress_mlp(model, 1)
    for layer in one:
        if isinstance(layer, torch.nn.Linear):
            assert torch.linalg.matrix_rank(layer.weight.double(), atol=1e-5) == 1
    assert 0.0 <= accuracy(one, x, y) <= 1.0
    assert torch.equal(make_data(10)[0], make_data(10)[0])


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


# ---------------------------------------------------------------- LoRA


def test_lora_starts_at_the_base_layer_and_merges_exactly():
    torch.manual_seed(0)
    base = torch.nn.Linear(16, 8, dtype=torch.float64)
    lora = LoRALinear(base, rank=2, alpha=4.0)
    x = torch.randn(5, 16, dtype=torch.float64)
    torch.testing.assert_close(lora(x), base(x), atol=0, rtol=0)  # B = 0
    with torch.no_grad():
        lora.lora_b.normal_()
    merged = lora.merged()
    torch.testing.assert_close(merged(x), lora(x), atol=1e-12, rtol=1e-12)
    delta = merged.weight - base.weight
    assert torch.linalg.matrix_rank(delta.detach()) == 2
    trainable = [n for n, p in lora.named_parameters() if p.requires_grad]
    assert trainable == ["lora_a", "lora_b"]
    assert sum(p.numel() for p in lora.parameters() if p.requires_grad) == 2 * (16 + 8)


def test_lora_fits_a_rank_r_change():
    torch.manual_seed(0)
    base = torch.nn.Linear(12, 10, dtype=torch.float64)
    change = torch.randn(10, 2, dtype=torch.float64) @ torch.randn(2, 12, dtype=torch.float64)
    x = torch.randn(200, 12, dtype=torch.float64)
    with torch.no_grad():
        target = base(x) + x @ change.T
    lora = LoRALinear(base, rank=2)
    opt = torch.optim.Adam(lora.parameters(), lr=0.05)
    for _ in range(600):
        opt.zero_grad()
        loss = (lora(x) - target).square().mean()
        loss.backward()
        opt.step()
    assert loss.item() < 1e-6


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


# ---------------------------------------------------------------- bad input

GOOD = np.ones((3, 2))
MATRIX_FUNCTIONS = {
    "power_iteration": lambda a: power_iteration(a),
    "spectral_norm": lambda a: spectral_norm(a),
    "best_low_rank": lambda a: best_low_rank(a, 1),
    "range_finder": lambda a: range_finder(a, 1),
    "randomized_svd": lambda a: randomized_svd(a, 1),
    "gd_least_squares": lambda a: gd_least_squares(a, np.ones(len(a))),
}
BAD_MATRICES = [
    ([[1.0, 2.0]], TypeError, "must be a NumPy array"),
    (np.ones(3), ValueError, r"must be 2-D \(m, n\)"),
    (np.ones((2, 2, 2)), ValueError, "must be 2-D"),
    (np.ones((3, 2), dtype=np.int64), TypeError, "must be float32 or float64"),
    (np.ones((3, 2), dtype=bool), TypeError, "must be float32 or float64"),
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
        (lambda: best_low_rank(GOOD, 0), ValueError, r"rank must be in \[1, 2\], got 0"),
        (lambda: best_low_rank(GOOD, 3), ValueError, r"rank must be in \[1, 2\], got 3"),
        (lambda: best_low_rank(GOOD, 1.0), TypeError, "rank must be an int"),
        (lambda: best_low_rank(GOOD, True), TypeError, "rank must be an int"),
        (lambda: randomized_svd(GOOD, 3), ValueError, r"rank must be in \[1, 2\]"),
        (lambda: randomized_svd(GOOD, 1, oversample=-1), ValueError, "oversample"),
        (lambda: randomized_svd(GOOD, 1, power_iters=-1), ValueError, "power_iters"),
        (lambda: range_finder(GOOD, 0), ValueError, r"size must be in \[1, 2\]"),
        (lambda: power_iteration(GOOD, iters=0), ValueError, "iters must be in"),
        (lambda: gd_least_squares(GOOD, np.ones(2)), ValueError, r"shape \(3,\)"),
        (lambda: compress_mlp(torch.nn.Sequential(), 0), ValueError, "rank must be"),
        (lambda: make_data(0), ValueError, "n must be in"),
        (lambda: SpectralNormLinear(0, 3), ValueError, "in_features must be"),
        (lambda: SpectralNormLinear(3, 3, iters=0), ValueError, "iters must be"),
        (lambda: LoRALinear(torch.nn.Linear(4, 3), 4), ValueError, r"rank must be in \[1, 3\]"),
        (lambda: LoRALinear(torch.nn.Conv1d(4, 3, 1), 1), TypeError, "torch.nn.Linear"),
        (
            lambda: LoRALinear(torch.nn.Linear(4, 3), 1)(torch.ones(2, 5)),
            ValueError,
            "must end in 4 features",
        ),
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
