"""Matrices with a chosen spectrum, shared by the tests of the low-rank and
conditioning modules."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


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
