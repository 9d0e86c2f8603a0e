"""snippets/forward_mode.py against torch.func.jvp, torch.func.jacrev and finite differences.

Tolerance: 1e-10 (relative and absolute) in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import snippets.forward_mode as fm
from snippets.forward_mode import Dual, jacobian_forward, jvp

TOL = 1e-10
W = np.random.default_rng(0).normal(size=(3, 4))


def f_ours(x):
    h = fm.tanh(W @ x) * 2.0 - fm.sin(x[:3]) / (1.0 + x[:3] ** 2)
    return fm.exp(h * 0.5) + fm.relu(h) * fm.cos(h) + fm.log(1.0 + h * h) + fm.sum(h) * h


def f_torch(x):
    h = torch.tanh(torch.from_numpy(W) @ x) * 2.0 - torch.sin(x[:3]) / (1.0 + x[:3] ** 2)
    return torch.exp(h * 0.5) + torch.relu(h) * torch.cos(h) + torch.log(1.0 + h * h) + h.sum() * h


class Sliceable(Dual):
    """Dual with indexing, so that f_ours can take x[:3] (slicing is linear: slice both)."""

    def __getitem__(self, index):
        return Sliceable(self.value[index], self.tangent[index])


def jvp_sliceable(f, x, v):
    y = f(Sliceable(np.asarray(x, float), np.asarray(v, float)))
    return y.value, y.tangent


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(np.float64, 4, elements=st.floats(-2, 2)),
    hnp.arrays(np.float64, 4, elements=st.floats(-2, 2)),
)
def test_jvp_matches_torch_func_jvp(x, v):
    value, tangent = jvp_sliceable(f_ours, x, v)
    value_t, tangent_t = torch.func.jvp(f_torch, (torch.from_numpy(x),), (torch.from_numpy(v),))
    np.testing.assert_allclose(value, value_t.numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(tangent, tangent_t.numpy(), rtol=TOL, atol=TOL)


def g_ours(x):
    return fm.tanh(W @ x) * fm.sum(x * x)


def g_torch(x):
    return torch.tanh(torch.from_numpy(W) @ x) * (x * x).sum()


def test_jvp_function_and_jacobian_match_torch():
    x = np.array([0.5, -1.0, 0.25, 2.0])
    v = np.array([1.0, 0.0, -1.0, 0.5])
    value, tangent = jvp(g_ours, x, v)
    value_t, tangent_t = torch.func.jvp(g_torch, (torch.from_numpy(x),), (torch.from_numpy(v),))
    np.testing.assert_allclose(value, value_t.numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(tangent, tangent_t.numpy(), rtol=TOL, atol=TOL)
    jacobian = jacobian_forward(g_ours, x)
    assert jacobian.shape == (3, 4)
    np.testing.assert_allclose(
        jacobian, torch.func.jacrev(g_torch)(torch.from_numpy(x)).numpy(), rtol=TOL
    )
    np.testing.assert_allclose(
        jacobian @ v, tangent, rtol=TOL, atol=TOL
    )  # J v, one column at a time


def test_jacobian_of_matrix_input_and_matrix_products():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3))
    B = rng.normal(size=(3, 2))

    def f(t):
        return fm.exp((t @ B) @ t * 0.1)  # (2, 3)

    expected = torch.func.jacrev(lambda t: torch.exp((t @ torch.from_numpy(B)) @ t * 0.1))(
        torch.from_numpy(x)
    )
    jacobian = jacobian_forward(f, x)
    assert jacobian.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(jacobian, expected.numpy(), rtol=TOL, atol=TOL)


def test_every_operation_against_central_differences():
    rng = np.random.default_rng(2)
    x, v = rng.uniform(0.5, 1.5, size=5), rng.normal(size=5)
    A = rng.normal(size=(5, 5))
    operations = {
        "add": lambda d: d + 2.0 + d,
        "sub": lambda d: 1.0 - d - d * 3.0,
        "mul": lambda d: d * d * 0.5,
        "div": lambda d: (d / (d + 1.0)) + 2.0 / d,
        "pow": lambda d: d**2.5,
        "neg": lambda d: -d,
        "matmul": lambda d: A @ d + d @ A,
        "exp": fm.exp,
        "log": fm.log,
        "sin": fm.sin,
        "cos": fm.cos,
        "tanh": fm.tanh,
        "relu": lambda d: fm.relu(d - 1.0),
        "sum": lambda d: fm.sum(d * d),
    }
    for name, f in operations.items():
        _, tangent = jvp(f, x, v)
        numerical = (Dual.lift(f(x + 1e-6 * v)).value - Dual.lift(f(x - 1e-6 * v)).value) / 2e-6
        np.testing.assert_allclose(tangent, numerical, rtol=1e-6, atol=1e-8, err_msg=name)


def test_functions_accept_plain_arrays():
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(fm.exp(x), np.exp(x))
    np.testing.assert_allclose(fm.sum(x), 0.3)
    assert fm.sum(k * k for k in range(4)) == 14  # the built-in's job, done by the built-in
    assert isinstance(fm.tanh(Dual(x, x)), Dual)


def test_numpy_arrays_on_the_left_defer_to_dual():
    d = Dual(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    out = np.array([3.0, 4.0]) * d + np.ones(2)
    assert isinstance(out, Dual)
    np.testing.assert_array_equal(out.tangent, [3.0, 0.0])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Dual(np.ones(2), np.ones(3)), ValueError, "one shape"),
        (lambda: Dual("a"), TypeError, "unsupported value type str"),
        (lambda: Dual(1.0) + "a", TypeError, "unsupported operand type str"),
        (lambda: Dual(1.0) ** Dual(2.0), TypeError, "exponent must be a number"),
        (
            lambda: Dual(np.ones((2, 3))) @ np.ones((2, 3)),
            ValueError,
            r"shapes \(2, 3\) and \(2, 3\)",
        ),
        (lambda: jvp(fm.exp, np.ones(3), np.ones(2)), ValueError, r"v of x's shape \(3,\)"),
        (lambda: fm.exp(None), TypeError, "unsupported argument type NoneType"),
    ],
)
def test_bad_input_is_rejected(call, error, message):
    with pytest.raises(error, match=message):
        call()
