"""Linear maps you can see: Gram-Schmidt, projections, least squares, rank.

NumPy only, so that a reader can copy this one file. The chapter
``docs/linear-maps.md`` embeds the sections marked ``--8<--`` below; the
argument checks at the top stay off the page.
"""

from __future__ import annotations

import numpy as np


# --8<-- [start:checks]
def _as_matrix(a: np.ndarray, name: str = "a") -> np.ndarray:
    """Return ``a`` as a finite float matrix (M, N), or raise a clear error."""
    if not isinstance(a, (np.ndarray, list, tuple)):
        raise TypeError(f"{name} must be a 2-D array, got {type(a).__name__}")
    a = np.asarray(a)
    if a.dtype == bool or a.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must hold real numbers (int or float), got dtype {a.dtype}"
        )
    if a.ndim != 2:
        raise ValueError(
            f"{name} must be a matrix (M, N), got shape {a.shape}"
        )
    if a.dtype.kind in "iu":
        a = a.astype(np.float64)
    elif a.dtype == np.float16:
        a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite, got inf or NaN")
    return a


def _check_tall(a: np.ndarray) -> np.ndarray:
    """A finite matrix (M, N) with M >= N and N >= 1."""
    a = _as_matrix(a)
    if a.shape[1] == 0 or a.shape[0] < a.shape[1]:
        raise ValueError(
            f"a must be tall or square, (M, N) with M >= N >= 1, got {a.shape}"
        )
    return a


def _check_square_symmetric(a: np.ndarray) -> np.ndarray:
    """A finite symmetric matrix (N, N) with N >= 1."""
    a = _as_matrix(a)
    if a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(f"a must be square (N, N), N >= 1, got {a.shape}")
    scale = max(float(np.abs(a).max()), np.finfo(a.dtype).tiny)
    if np.abs(a - a.T).max() > 100 * np.finfo(a.dtype).eps * scale:
        raise ValueError("a must be symmetric (a == a.T)")
    return a


def _check_basis(q: np.ndarray) -> np.ndarray:
    """A matrix (M, K) whose K columns are orthonormal."""
    q = _as_matrix(q, "q")
    gram = q.T @ q
    tol = 100 * max(q.shape[0], 1) * np.finfo(q.dtype).eps
    if np.abs(gram - np.eye(q.shape[1])).max() > tol:
        raise ValueError("q must have orthonormal columns (q.T @ q == I)")
    return q


def _check_rhs(b: np.ndarray, rows: int, dtype: np.dtype) -> np.ndarray:
    """A right-hand side (M,) or (M, K) with M == rows."""
    if not isinstance(b, (np.ndarray, list, tuple)):
        raise TypeError(f"b must be an array, got {type(b).__name__}")
    b = np.asarray(b)
    if b.dtype == bool or b.dtype.kind not in "iuf":
        raise TypeError(f"b must hold real numbers, got dtype {b.dtype}")
    if b.ndim not in (1, 2) or b.shape[0] != rows:
        raise ValueError(
            f"b must have shape ({rows},) or ({rows}, K), got {b.shape}"
        )
    if not np.isfinite(b).all():
        raise ValueError("b must be finite, got inf or NaN")
    return b.astype(np.result_type(dtype, np.float32))


def _check_basis_and_rhs(q: np.ndarray, x: np.ndarray) -> tuple:
    """An orthonormal basis q (M, K) and a right-hand side (M,) or (M, J)."""
    q = _check_basis(q)
    return q, _check_rhs(x, q.shape[0], q.dtype)


def _check_full_column_rank(a: np.ndarray, b: np.ndarray) -> tuple:
    """A tall a (M, N) of rank N and a right-hand side b (M,) or (M, K)."""
    a = _check_tall(a)
    b = _check_rhs(b, a.shape[0], a.dtype)
    if rank(a) < a.shape[1]:
        raise ValueError("a must have full column rank; use pinv otherwise")
    return a, b


def _scale(a: np.ndarray) -> np.ndarray:
    """The largest magnitude in a, or the smallest normal number if a is 0."""
    return np.maximum(np.abs(a).max(), np.finfo(a.dtype).tiny)


def _check_vector(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """A nonzero vector (N,) that a (N, N) can multiply."""
    x = _check_rhs(x, np.shape(a)[0], np.asarray(a).dtype)
    if x.ndim != 1 or not x.any():
        raise ValueError(f"x must be a nonzero vector ({len(x)},)")
    return x


def _check_steps(steps: int) -> int:
    """A positive number of iterations."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps must be an int, got {type(steps).__name__}")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    return int(steps)


# --8<-- [end:checks]


# --8<-- [start:gram_schmidt]
def gram_schmidt(
    a: np.ndarray, modified: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """QR of a (M, N), M >= N, full column rank: q (M, N), r (N, N)."""
    a = _check_tall(a)
    scale = _scale(a)  # work on entries of at most 1, so no norm overflows
    a = a / scale
    m, n = a.shape
    q, r = np.zeros((m, n), a.dtype), np.zeros((n, n), a.dtype)
    for j in range(n):
        v = a[:, j].copy()
        for i in range(j):
            # Classical: the coefficient of the original column a_j.
            # Modified: of what is left of it, v, after the earlier steps.
            r[i, j] = q[:, i] @ (v if modified else a[:, j])
            v -= r[i, j] * q[:, i]
        r[j, j] = np.linalg.norm(v)
        if r[j, j] <= 10 * m * np.finfo(a.dtype).eps * np.linalg.norm(a[:, j]):
            raise ValueError(f"column {j} depends on the columns before it")
        q[:, j] = v / r[j, j]
    return q, r * scale


# --8<-- [end:gram_schmidt]


# --8<-- [start:project]
def project(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Project x (M,) or (M, K) onto the span of the orthonormal q (M, R)."""
    q, x = _check_basis_and_rhs(q, x)
    return q @ (q.T @ x)  # P x with P = q q^T, never forming P


# --8<-- [end:project]


# --8<-- [start:lstsq_qr]
def lstsq_qr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Least squares: x (N,) or (N, K) minimizing ||a x - b|| for a (M, N)."""
    a, b = _check_full_column_rank(a, b)
    q, r = np.linalg.qr(a)  # Householder QR: orthogonal to working precision
    return np.linalg.solve(r, q.T @ b)  # r is triangular: back substitution


# --8<-- [end:lstsq_qr]


# --8<-- [start:power_iteration]
def rayleigh_quotient(a: np.ndarray, x: np.ndarray) -> float:
    """r(x) = x^T a x / x^T x for a symmetric a (N, N) and x (N,) nonzero."""
    a, x = _check_square_symmetric(a), _check_vector(x, a)
    return float(x @ a @ x / (x @ x))


def power_iteration(
    a: np.ndarray, steps: int = 100, seed: int = 0
) -> tuple[float, np.ndarray]:
    """Largest-magnitude eigenvalue and unit eigenvector (N,) of symmetric a."""
    a, steps = _check_square_symmetric(a), _check_steps(steps)
    scale = _scale(a)  # work on entries of at most 1, so no norm overflows
    a = a / scale
    x = np.random.default_rng(seed).normal(size=a.shape[0]).astype(a.dtype)
    for _ in range(steps):
        y = a @ x  # the component along the top eigenvector grows fastest
        norm = np.linalg.norm(y)
        if norm == 0:  # x fell into the null space: every eigenvalue seen is 0
            return 0.0, x / np.linalg.norm(x)
        x = y / norm
    return float(scale) * rayleigh_quotient(a, x), x


# --8<-- [end:power_iteration]


# --8<-- [start:rank]
def rank(a: np.ndarray) -> int:
    """Number of singular values of a (M, N) above NumPy's tolerance."""
    a = _as_matrix(a)
    if a.size == 0:
        return 0
    s = np.linalg.svd(a, compute_uv=False)  # sorted, largest first
    tol = s[0] * max(a.shape) * np.finfo(a.dtype).eps
    return int((s > tol).sum())


# --8<-- [end:rank]


# --8<-- [start:null_space]
def null_space(a: np.ndarray) -> np.ndarray:
    """Orthonormal basis (N, N - r) of the null space of a (M, N), rank r."""
    a = _as_matrix(a)
    _, _, vt = np.linalg.svd(a)  # full V^T (N, N): one row per input direction
    return vt[rank(a) :].T  # the rows past the rank: singular value 0


# --8<-- [end:null_space]


# --8<-- [start:pinv]
def pinv(a: np.ndarray) -> np.ndarray:
    """Pseudo-inverse (N, M) of a (M, N) through its SVD."""
    a = _as_matrix(a)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    r = rank(a)  # invert only the singular values that are not noise
    return (vt[:r].T / s[:r]) @ u[:, :r].T


# --8<-- [end:pinv]
