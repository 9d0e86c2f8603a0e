"""snippets/linear_maps.py against np.linalg and torch.linalg.

Tolerances per dtype: the matrices drawn here have condition numbers of at
most 100 (unless a test says otherwise), so results agree with the libraries
to RTOL[dtype] relative to the matrix's scale.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.linear_maps import (
    gram_schmidt,
    lstsq_qr,
    null_space,
    pinv,
    power_iteration,
    project,
    rank,
    rayleigh_quotient,
)

RTOL = {np.float32: 2e-4, np.float64: 1e-10}
DTYPES = st.sampled_from([np.float32, np.float64])


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


@st.composite
def matrices(draw, shape: str = "any", rank_deficient: bool = False):
    """(a, dtype): a = U diag(s) V^T with s in [1, 100], some s zero if deficient."""
    m = draw(st.integers(1, 7))
    n = draw(st.integers(1, 7))
    if shape == "tall":
        m, n = max(m, n), min(m, n)
    elif shape == "square":
        n = m
    elif shape == "wide":
        m, n = min(m, n), max(m, n)
    dtype = draw(DTYPES)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = min(m, n)
    s = rng.uniform(1.0, 100.0, size=k)
    if rank_deficient:
        s[draw(st.integers(0, k - 1)) :] = 0.0
        s[0] = max(s[0], 1.0)
    scale = draw(st.sampled_from([1e-30, 1e-3, 1.0, 1e3, 1e30]))
    if dtype == np.float32:
        scale = min(max(scale, 1e-15), 1e15)
    a = (_orthogonal(rng, m)[:, :k] * s) @ _orthogonal(rng, n)[:k] * scale
    return a.astype(dtype), dtype


# --- Gram-Schmidt -------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(matrices(shape="tall"), st.booleans())
def test_gram_schmidt_is_a_qr_that_matches_numpy(case, modified):
    a, dtype = case
    q, r = gram_schmidt(a, modified=modified)
    assert q.dtype == dtype and r.dtype == dtype
    tol = RTOL[dtype]
    n = a.shape[1]
    # Classical Gram-Schmidt loses orthogonality like eps * cond^2.
    assert np.allclose(q.T @ q, np.eye(n), atol=tol * (10 if modified else 100))
    assert np.allclose(np.triu(r), r) and (np.diag(r) > 0).all()
    scale = np.abs(a).max()
    assert np.allclose(q @ r, a, atol=tol * scale)
    # QR with a positive diagonal is unique: flip NumPy's signs to match.
    q_np, r_np = np.linalg.qr(a.astype(np.float64))
    signs = np.sign(np.diag(r_np))
    assert np.allclose(q, q_np * signs, atol=tol * 100)
    assert np.allclose(r, r_np * signs[:, None], atol=tol * 100 * scale)


def test_gram_schmidt_worked_example_and_torch():
    a = np.array([[3.0, 1.0], [4.0, 0.0]])
    q, r = gram_schmidt(a)
    assert np.allclose(q, [[0.6, 0.8], [0.8, -0.6]])
    assert np.allclose(r, [[5.0, 0.6], [0.0, 0.8]])
    q_t, r_t = torch.linalg.qr(torch.from_numpy(a))
    signs = torch.sign(torch.diag(r_t)).numpy()
    assert np.allclose(q, q_t.numpy() * signs)


def test_classical_gram_schmidt_loses_orthogonality_modified_keeps_it():
    n = 8
    hilbert = 1 / (np.arange(n)[:, None] + np.arange(n)[None, :] + 1)
    q_classical, _ = gram_schmidt(hilbert, modified=False)
    q_modified, _ = gram_schmidt(hilbert, modified=True)
    loss_classical = np.abs(q_classical.T @ q_classical - np.eye(n)).max()
    loss_modified = np.abs(q_modified.T @ q_modified - np.eye(n)).max()
    assert loss_classical > 0.1
    assert loss_modified < 1e-5


@pytest.mark.parametrize("modified", [False, True])
def test_gram_schmidt_rejects_dependent_columns(modified):
    a = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 1.0], [3.0, 6.0, 0.0]])
    with pytest.raises(ValueError, match="column 1 depends"):
        gram_schmidt(a, modified=modified)
    with pytest.raises(ValueError, match="column 0 depends"):
        gram_schmidt(np.zeros((3, 2)), modified=modified)


# --- projection -----------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(matrices(shape="tall"), st.integers(0, 2**32 - 1), st.booleans())
def test_projection_matches_lstsq_and_is_idempotent(case, seed, matrix_rhs):
    a, dtype = case
    q, _ = np.linalg.qr(a)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(a.shape[0], 3) if matrix_rhs else a.shape[0])
    x = x.astype(dtype)
    p = project(x, q)
    assert p.shape == x.shape and p.dtype == dtype
    tol = RTOL[dtype] * 10
    coef = np.linalg.lstsq(a.astype(np.float64), x.astype(np.float64))[0]
    assert np.allclose(p, a.astype(np.float64) @ coef, atol=tol * np.abs(x).max())
    assert np.allclose(project(p, q), p, atol=tol * np.abs(x).max())  # P^2 = P
    # The residual is orthogonal to the subspace.
    assert np.allclose(q.T @ (x - p), 0, atol=tol * np.abs(x).max())


def test_projection_onto_a_line_by_hand():
    q = np.array([[1.0], [1.0]]) / np.sqrt(2)
    assert np.allclose(project(np.array([3.0, 1.0]), q), [2.0, 2.0])
    p = torch.tensor(q) @ torch.tensor(q).T
    assert np.allclose(torch.linalg.eigvalsh(p).numpy(), [0.0, 1.0])


def test_projection_rejects_a_basis_that_is_not_orthonormal():
    with pytest.raises(ValueError, match="orthonormal"):
        project(np.ones(2), np.array([[1.0], [1.0]]))
    with pytest.raises(ValueError, match=r"shape \(2,\) or \(2, K\)"):
        project(np.ones(3), np.eye(2))
    with pytest.raises(TypeError, match="b must be an array"):
        project(3.0, np.eye(2))


# --- least squares ---------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(matrices(shape="tall"), st.integers(0, 2**32 - 1), st.booleans())
def test_lstsq_qr_matches_numpy_and_torch(case, seed, matrix_rhs):
    a, dtype = case
    rng = np.random.default_rng(seed)
    b = rng.normal(size=(a.shape[0], 2) if matrix_rhs else a.shape[0])
    b = (b * np.abs(a).max()).astype(dtype)
    x = lstsq_qr(a, b)
    assert x.shape == ((a.shape[1], 2) if matrix_rhs else (a.shape[1],))
    assert x.dtype == dtype
    expected = np.linalg.lstsq(a.astype(np.float64), b.astype(np.float64))[0]
    tol = RTOL[dtype] * 100  # condition number up to 100
    assert np.allclose(x, expected, atol=tol * np.abs(expected).max())
    via_torch = torch.linalg.lstsq(
        torch.from_numpy(a.astype(np.float64)), torch.from_numpy(b.astype(np.float64))
    ).solution
    assert np.allclose(x, via_torch.numpy(), atol=tol * np.abs(expected).max())


@settings(max_examples=100, deadline=None)
@given(matrices(shape="tall", rank_deficient=True))
def test_lstsq_qr_rejects_rank_deficient_matrices(case):
    a, _ = case
    if min(a.shape) == np.linalg.matrix_rank(a):
        return  # the draw kept every singular value: full rank, nothing to reject
    with pytest.raises(ValueError, match="full column rank"):
        lstsq_qr(a, np.ones(a.shape[0]))


def test_lstsq_qr_rejects_wide_and_bad_input():
    with pytest.raises(ValueError, match="tall or square"):
        lstsq_qr(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="matrix"):
        lstsq_qr(np.ones(3), np.ones(3))
    with pytest.raises(TypeError, match="real numbers"):
        lstsq_qr(np.ones((2, 2), complex), np.ones(2))
    with pytest.raises(TypeError, match="real numbers"):
        lstsq_qr(np.ones((2, 2), bool), np.ones(2))
    with pytest.raises(TypeError, match="2-D array"):
        lstsq_qr("ab", np.ones(2))
    with pytest.raises(ValueError, match="finite"):
        lstsq_qr(np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones(2))
    with pytest.raises(ValueError, match="finite"):
        lstsq_qr(np.eye(2), np.array([np.inf, 1.0]))


def test_lstsq_accepts_integers_and_float16():
    x = lstsq_qr(np.array([[1, 0], [0, 2], [0, 0]]), np.array([1, 4, 5]))
    assert x.dtype == np.float64 and np.allclose(x, [1.0, 2.0])
    x16 = lstsq_qr(np.eye(2, dtype=np.float16), np.ones(2, np.float16))
    assert x16.dtype == np.float32 and np.allclose(x16, 1.0)


# --- rank and pseudo-inverse -----------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(matrices(rank_deficient=True))
def test_rank_is_numpys_rule(case):
    a, _ = case
    assert rank(a) == np.linalg.matrix_rank(a)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["tall", "wide", "square"]), st.booleans(), st.data())
def test_rank_and_pinv_match_numpy_and_torch(shape, deficient, data):
    a, dtype = data.draw(matrices(shape=shape, rank_deficient=deficient))
    assert rank(a) == np.linalg.matrix_rank(a)
    assert rank(a) == int(torch.linalg.matrix_rank(torch.from_numpy(a)))
    p = pinv(a)
    assert p.shape == a.shape[::-1] and p.dtype == dtype
    # pinv's default cut-off is 1e-15; matrix_rank's rule is max(M, N) * eps.
    expected = np.linalg.pinv(a, rtol=max(a.shape) * np.finfo(dtype).eps)
    tol = RTOL[dtype] * 100
    assert np.allclose(p, expected, atol=tol * np.abs(expected).max())
    if deficient:
        return  # torch's SVD may keep a noise-level singular value NumPy drops
    via_torch = torch.linalg.pinv(torch.from_numpy(a))
    assert np.allclose(p, via_torch.numpy(), atol=tol * np.abs(expected).max())


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_rank_and_pinv_of_empty_matrices(shape):
    a = np.zeros(shape)
    assert rank(a) == np.linalg.matrix_rank(a) == 0
    assert pinv(a).shape == shape[::-1]


def test_rank_by_hand_and_tiny_huge_values():
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    assert rank(a) == 1
    assert rank(a * 1e-300) == 1 and rank(a * 1e300) == 1
    assert rank(np.zeros((3, 2))) == 0
    assert rank(np.array([[5.0]])) == 1
    assert np.allclose(pinv(np.array([[2.0]])), [[0.5]])
    assert np.allclose(pinv(np.zeros((2, 3))), np.zeros((3, 2)))


# --- null space --------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["tall", "wide", "square"]), st.booleans(), st.data())
def test_null_space_matches_scipy_and_torch(shape, deficient, data):
    a, dtype = data.draw(matrices(shape=shape, rank_deficient=deficient))
    n = null_space(a)
    cols = a.shape[1]
    r = np.linalg.matrix_rank(a)
    assert n.shape == (cols, cols - r) and n.dtype == dtype
    tol = RTOL[dtype] * 10
    assert np.allclose(n.T @ n, np.eye(cols - r), atol=tol)  # orthonormal
    assert np.allclose(a @ n, 0, atol=tol * np.abs(a).max())  # a n = 0
    # A basis is not unique; the projection onto its span is.
    expected = scipy.linalg.null_space(
        a.astype(np.float64), rcond=max(a.shape) * np.finfo(dtype).eps
    )
    assert expected.shape == n.shape
    assert np.allclose(n @ n.T, expected @ expected.T, atol=tol * 10)
    # Rank-nullity: rank + dim null = N.
    assert r + n.shape[1] == cols
    _, _, vh = torch.linalg.svd(torch.from_numpy(a.astype(np.float64)))
    basis = vh[r:].T.numpy()
    assert np.allclose(n @ n.T, basis @ basis.T, atol=tol * 10)


def test_null_space_by_hand_empty_and_bad_input():
    n = null_space(np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]))
    assert np.allclose(np.abs(n[:, 0]), np.array([2.0, 1.0]) / np.sqrt(5))
    assert null_space(np.eye(3)).shape == (3, 0)
    assert np.allclose(null_space(np.zeros((0, 3))), np.eye(3))
    assert null_space(np.zeros((3, 0))).shape == (0, 0)
    assert np.allclose(np.abs(null_space(np.zeros((2, 2)))), np.eye(2))
    with pytest.raises(ValueError, match="matrix"):
        null_space(np.ones(3))
    with pytest.raises(TypeError, match="real numbers"):
        null_space(np.ones((2, 2), complex))
    with pytest.raises(ValueError, match="finite"):
        null_space(np.array([[np.inf]]))


def test_gram_schmidt_rejects_wide_and_bad_input():
    with pytest.raises(ValueError, match="tall or square"):
        gram_schmidt(np.ones((2, 3)))
    with pytest.raises(ValueError, match="tall or square"):
        gram_schmidt(np.ones((2, 0)))
    with pytest.raises(TypeError, match="2-D array"):
        gram_schmidt(None)


def test_qr_matches_torch_in_float32_and_float64():
    rng = np.random.default_rng(0)
    for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        a = rng.normal(size=(6, 4)).astype(dtype)
        q, r = gram_schmidt(a)
        q_t, r_t = torch.linalg.qr(torch.from_numpy(a))
        signs = torch.sign(torch.diag(r_t)).numpy()
        assert np.allclose(q, q_t.numpy() * signs, atol=tol)
        assert np.allclose(r, r_t.numpy() * signs[:, None], atol=tol)


# --- power iteration and the Rayleigh quotient -----------------------------------


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), DTYPES, st.integers(0, 2**32 - 1))
def test_power_iteration_finds_eighs_top_eigenpair(n, dtype, seed):
    rng = np.random.default_rng(seed)
    v = _orthogonal(rng, n)
    lam = np.concatenate([[10.0], rng.uniform(0.0, 5.0, size=n - 1)])
    a = ((v * lam) @ v.T).astype(dtype)
    a = (a + a.T) / 2
    value, vector = power_iteration(a, steps=200)
    w, u = np.linalg.eigh(a.astype(np.float64))
    tol = RTOL[dtype] * 10
    assert abs(value - w[-1]) < tol * 10
    assert abs(abs(vector @ u[:, -1]) - 1) < tol
    assert abs(rayleigh_quotient(a, vector) - value) < tol * 10
    top = torch.linalg.eigvalsh(torch.from_numpy(a.astype(np.float64)))[-1]
    assert abs(value - float(top)) < tol * 10


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_rayleigh_quotient_lies_between_the_extreme_eigenvalues(n, seed):
    rng = np.random.default_rng(seed)
    b = rng.normal(size=(n, n))
    a = b + b.T
    w = np.linalg.eigvalsh(a)
    x = rng.normal(size=n)
    r = rayleigh_quotient(a, x)
    assert w[0] - 1e-12 * np.abs(w).max() <= r <= w[-1] + 1e-12 * np.abs(w).max()
    assert np.isclose(rayleigh_quotient(a, np.linalg.eigh(a)[1][:, -1]), w[-1])


def test_power_iteration_on_a_matrix_of_zeros_and_bad_input():
    value, vector = power_iteration(np.zeros((3, 3)))
    assert value == 0.0 and np.isclose(np.linalg.norm(vector), 1.0)
    with pytest.raises(ValueError, match="symmetric"):
        power_iteration(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="square"):
        power_iteration(np.ones((2, 3)))
    with pytest.raises(ValueError, match="square"):
        power_iteration(np.ones((0, 0)))
    with pytest.raises(TypeError, match="steps must be an int"):
        power_iteration(np.eye(2), steps=2.5)
    with pytest.raises(ValueError, match="at least 1"):
        power_iteration(np.eye(2), steps=0)
    with pytest.raises(ValueError, match="nonzero vector"):
        rayleigh_quotient(np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        rayleigh_quotient(np.eye(2), np.ones(3))


@pytest.mark.parametrize(
    "dtype, scale",
    [
        (np.float32, 1e30),  # squares overflow float32 (above 3.4e38)
        (np.float32, 1e-30),  # squares underflow to zero
        (np.float64, 1e300),
        (np.float64, 1e-300),
    ],
)
def test_huge_and_tiny_entries_do_not_overflow_a_norm(dtype, scale):
    # The libraries scale before they square (LAPACK's nrm2); so do these.
    a = (np.array([[2.0, 1.0], [1.0, 2.0]]) * scale).astype(dtype)
    value, vector = power_iteration(a)
    assert np.isfinite(value) and np.isclose(value / scale, 3.0, rtol=1e-5)
    assert np.allclose(np.abs(vector), np.sqrt(0.5), rtol=1e-5)
    g = (np.array([[3.0, 1.0], [4.0, 0.0]]) * scale).astype(dtype)
    for modified in (False, True):
        q, r = gram_schmidt(g, modified=modified)
        assert q.dtype == r.dtype == dtype
        assert np.allclose(q, [[0.6, 0.8], [0.8, -0.6]], atol=1e-6)
        assert np.allclose(r / scale, [[5.0, 0.6], [0.0, 0.8]], atol=1e-5)
    assert np.allclose(lstsq_qr(g, g @ np.ones(2, dtype)), 1.0, rtol=1e-5)
    assert rank(g) == 2 and null_space(g).shape == (2, 0)
