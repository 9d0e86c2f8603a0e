"""snippets/low_rank.py against np.linalg, torch.linalg and torch.svd_lowrank.

Tolerances, relative to the largest singular value (or to the values
compared): 1e-10 in float64 and 1e-4 in float32 for what is computed exactly
up to rounding (truncated SVDs); a randomized SVD is compared with the
optimum by ratios of errors, not by digits.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.low_rank import (
    LoRALinear,
    accuracy,
    best_low_rank,
    compress_mlp,
    make_data,
    randomized_svd,
    range_finder,
    train_mlp,
)

from spectra import gapped_matrices, with_spectrum

TOL = {np.float64: 1e-10, np.float32: 1e-4}
DTYPES = [np.float64, np.float32]


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


def test_power_iterations_improve_a_slowly_falling_spectrum():
    a = with_spectrum(300, 300, 1 / np.sqrt(np.arange(1, 301)))
    s = np.linalg.svd(a, compute_uv=False)
    errors = []
    for p in [0, 1, 3]:
        u, s_r, vt = randomized_svd(a, 10, power_iters=p)
        errors.append(np.linalg.norm(a - (u * s_r) @ vt, 2) / s[10])
    assert errors[0] > errors[1] > errors[2] >= 1


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


def test_lora_merges_a_base_layer_without_bias():
    torch.manual_seed(0)
    base = torch.nn.Linear(6, 5, bias=False, dtype=torch.float64)
    lora = LoRALinear(base, rank=2)
    with torch.no_grad():
        lora.lora_b.normal_()
    merged = lora.merged()
    assert merged.bias is None
    x = torch.randn(3, 6, dtype=torch.float64)
    torch.testing.assert_close(merged(x), lora(x), atol=1e-12, rtol=1e-12)


# ---------------------------------------------------------------- the page's claims


def test_the_teacher_task_has_rank_nine():
    g = torch.Generator().manual_seed(1234)  # the teacher of make_data
    teacher = torch.randn(32, 10, generator=g, dtype=torch.float64)
    assert torch.linalg.matrix_rank(teacher) == 10
    assert torch.linalg.matrix_rank(teacher[:, 1:] - teacher[:, :1]) == 9
    x, y = make_data(300)
    # A small shift: a large one saturates tanh to exactly 1.0, and ties change argmax.
    shifted = torch.tanh(x @ (teacher + 0.1 * torch.randn(32, 1, dtype=torch.float64)))
    assert torch.equal(shifted.argmax(dim=1), y)


def test_factors_save_only_below_mn_over_m_plus_n():
    m, n = 10, 64
    assert 10 * (m + n) == 740 > m * n == 640
    assert all(k * (m + n) < m * n for k in range(1, 9))
    assert all(k * (m + n) >= m * n for k in range(9, 11))


def test_a_flat_spectrum_is_easy_for_the_randomized_svd_and_hopeless_for_low_rank():
    a = with_spectrum(200, 200, np.ones(200))
    u, s, vt = randomized_svd(a, 10, power_iters=0)
    error = np.linalg.norm(a - (u * s) @ vt, 2)
    assert error == pytest.approx(1.0, rel=1e-6)  # = sigma_11 = ||A||_2
    slow = with_spectrum(200, 200, 1 / np.sqrt(np.arange(1, 201)))
    u, s, vt = randomized_svd(slow, 10, power_iters=0)
    assert np.linalg.norm(slow - (u * s) @ vt, 2) / (1 / np.sqrt(11)) > 1.3


def test_reduced_rank_regression_beats_the_truncated_svd_on_coloured_inputs():
    rng = np.random.default_rng(0)
    change = with_spectrum(16, 16, np.arange(6.0, 0.0, -1))
    x = rng.standard_normal((2000, 16)) * np.logspace(0, -1, 16)
    r = np.linalg.qr(x / np.sqrt(len(x)), mode="r")

    def loss(update):
        return np.sum(((change - update) @ r.T) ** 2)

    rrr = np.linalg.solve(r, best_low_rank(change @ r.T, 2).T).T
    assert loss(rrr) < loss(best_low_rank(change, 2))
    assert np.linalg.matrix_rank(rrr) == 2


# ---------------------------------------------------------------- bad input

GOOD = np.ones((3, 2))
MATRIX_FUNCTIONS = {
    "best_low_rank": lambda a: best_low_rank(a, 1),
    "range_finder": lambda a: range_finder(a, 1),
    "randomized_svd": lambda a: randomized_svd(a, 1),
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
        (lambda: compress_mlp(torch.nn.Sequential(), 0), ValueError, "rank must be"),
        (lambda: make_data(0), ValueError, "n must be in"),
        (lambda: LoRALinear(torch.nn.Linear(4, 3), 4), ValueError, r"rank must be in \[1, 3\]"),
        (lambda: LoRALinear(torch.nn.Conv1d(4, 3, 1), 1), TypeError, "torch.nn.Linear"),
        (
            lambda: LoRALinear(torch.nn.Linear(4, 3), 1)(torch.ones(2, 5)),
            ValueError,
            "must end in 4 features",
        ),
        (
            lambda: LoRALinear(torch.nn.Linear(4, 3), 1)(np.ones((2, 4))),
            TypeError,
            "x must be a tensor",
        ),
    ],
)
def test_bad_arguments_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()
