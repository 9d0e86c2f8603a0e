"""snippets/reverse_mode.py against torch.autograd, torch.func and finite differences.

Tolerance: 1e-10 (relative and absolute) in float64, the engine's only dtype.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import snippets.reverse_mode as rm
from snippets.reverse_mode import Tensor, grad, jacobian_reverse, vjp

TOL = 1e-10
OURS = SimpleNamespace(exp=rm.exp, tanh=rm.tanh, relu=rm.relu, sigmoid=rm.sigmoid, log=rm.log)
TORCH = SimpleNamespace(
    exp=torch.exp, tanh=torch.tanh, relu=torch.relu, sigmoid=torch.sigmoid, log=torch.log
)

# Each operation takes the library's functions, the running value and an operand.
OPERATIONS = [
    lambda lib, x, y: x + y,
    lambda lib, x, y: x - y,
    lambda lib, x, y: y - x,
    lambda lib, x, y: x * y,
    lambda lib, x, y: x / (y * y + 1.0),
    lambda lib, x, y: 2.0 * x - 1.5,
    lambda lib, x, y: lib.exp(lib.tanh(x)),
    lambda lib, x, y: lib.tanh(x) * y,
    lambda lib, x, y: lib.relu(x) + y,
    lambda lib, x, y: lib.sigmoid(x * y),
    lambda lib, x, y: lib.log(x * x + 1.0),
    lambda lib, x, y: x**2 + (-y),
    lambda lib, x, y: x**3 / 4.0,
    lambda lib, x, y: x.sum(-1, keepdims=True) * y if lib is OURS else x.sum(-1, keepdim=True) * y,
    lambda lib, x, y: x.mean(0) + y,
    lambda lib, x, y: x**0 * y,  # d(x**0)/dx = 0, also at x = 0
    lambda lib, x, y: x / y,  # y may be 0, 1e-200 or inf below
    lambda lib, x, y: x**-1 + y**3,  # (fractional powers of -0.0 and -inf: C and torch differ)
]
# Values where implementations part ways: zero, tiny quotients, infinities, nan.
SPECIAL = [0.0, -0.0, 1e-300, 1e-200, np.inf, -np.inf, np.nan]


@st.composite
def expressions(draw):
    """Three broadcastable operands and a sequence of operations over them; sizes 0
    and 1, special values, float16 and non-contiguous operands."""
    target = draw(st.lists(st.integers(0, 4), min_size=1, max_size=3))
    shapes = []
    for _ in range(3):
        ndim = draw(st.integers(1, len(target)))
        shapes.append(tuple(draw(st.sampled_from([s, 1])) for s in target[len(target) - ndim :]))
    ops = draw(
        st.lists(
            st.tuples(st.integers(0, len(OPERATIONS) - 1), st.integers(0, 2)),
            min_size=1,
            max_size=6,
        )
    )
    seed = draw(st.integers(0, 2**32 - 1))
    edges = draw(st.sampled_from(["none", "special", "float16", "strided"]))
    return shapes, ops, seed, edges


def edge_arrays(shapes, seed, edges):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, size=shape) for shape in shapes]
    if edges == "special":  # about a third of the entries
        for a in arrays:
            hit = rng.random(a.shape) < 0.3
            a[hit] = rng.choice(SPECIAL, size=int(hit.sum()))
    elif edges == "float16":
        arrays = [a.astype(np.float16) for a in arrays]
    elif edges == "strided":  # the same values, every other entry of a wider array
        arrays = [np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim else a for a in arrays]
    return arrays


def evaluate(lib, leaves, ops):
    x = leaves[0]
    for op, k in ops:
        x = OPERATIONS[op](lib, x, leaves[k])
    return x.sum()


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_random_expressions_match_torch(case):
    shapes, ops, seed, edges = case
    arrays = edge_arrays(shapes, seed, edges)
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    try:
        out_torch = evaluate(TORCH, theirs, ops)
    except RuntimeError:  # e.g. mean(0) that changes the shape so it no longer broadcasts
        with pytest.raises(ValueError, match="cannot be broadcast"):
            evaluate(OURS, ours, ops)
        return
    with np.errstate(all="ignore"):  # 0 / 0, inf - inf, ...: as in torch, no warnings
        out = evaluate(OURS, ours, ops)
        out.backward()
    np.testing.assert_allclose(out.data, out_torch.item(), rtol=TOL, atol=TOL)
    out_torch.backward()
    for t, tt in zip(ours, theirs, strict=True):
        expected = np.zeros(t.shape) if tt.grad is None else tt.grad.numpy()
        got = np.zeros(t.shape) if t.grad is None else t.grad
        assert got.shape == t.shape
        np.testing.assert_allclose(got, expected, rtol=TOL, atol=TOL)


def test_power_zero_and_a_tiny_quotient_have_torchs_gradients():
    x = Tensor([0.0, 2.0, -3.0], requires_grad=True)
    (x**0).sum().backward()
    xt = torch.tensor([0.0, 2.0, -3.0], dtype=torch.float64, requires_grad=True)
    (xt**0).sum().backward()
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())  # zeros, not nan at 0
    a, b = Tensor(1e-300, requires_grad=True), Tensor(1e-200, requires_grad=True)
    (a / b).backward()
    at = torch.tensor(1e-300, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(1e-200, dtype=torch.float64, requires_grad=True)
    (at / bt).backward()
    assert b.grad == pytest.approx(bt.grad.item(), rel=1e-15)  # -1e-100 / 1e-200 = -1e100
    assert a.grad == pytest.approx(at.grad.item(), rel=1e-15)


def test_a_quotient_that_overflows_has_torchs_nan_gradient():
    """Regression: d(a/b)/db = -g ((a/b)/b), grouped as PyTorch groups it. With a
    saturated tanh (g = 0) and (a/b)/b overflowing to inf, 0 * inf is nan in both;
    grouped as (-g (a/b))/b it was 0."""
    a, b = Tensor([-0.92, 0.5], requires_grad=True), Tensor([1e-200, 2.0], requires_grad=True)
    from snippets.reverse_mode import tanh

    with np.errstate(all="ignore"):
        tanh(a / b).sum().backward()
    at = torch.tensor([-0.92, 0.5], dtype=torch.float64, requires_grad=True)
    bt = torch.tensor([1e-200, 2.0], dtype=torch.float64, requires_grad=True)
    torch.tanh(at / bt).sum().backward()
    np.testing.assert_allclose(b.grad, bt.grad.numpy(), rtol=1e-15)  # nan where torch has nan
    np.testing.assert_allclose(a.grad, at.grad.numpy(), rtol=1e-15)
    assert np.isnan(b.grad[0])


def test_three_layer_mlp_loss_and_gradients_match_torch():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 8)), rng.normal(size=(16, 3))
    shapes = [(8, 32), (32, 32), (32, 3)]
    params = [
        (rng.normal(0, np.sqrt(2 / s[0]), size=s), rng.normal(size=s[1]) * 0.1) for s in shapes
    ]

    def forward(lib, tensors, x, y):
        h = x
        for k, (w, b) in enumerate(tensors):
            h = h @ w + b
            if k < len(tensors) - 1:
                h = lib.relu(h)
        return ((h - y) ** 2).mean()

    ours = [(Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)) for w, b in params]
    theirs = [
        (torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
        for w, b in params
    ]
    loss = forward(OURS, ours, x, y)
    loss_torch = forward(TORCH, theirs, torch.from_numpy(x), torch.from_numpy(y))
    loss.backward()
    loss_torch.backward()
    assert loss.data == pytest.approx(loss_torch.item(), rel=TOL)
    for pair, pair_torch in zip(ours, theirs, strict=True):
        for t, tt in zip(pair, pair_torch, strict=True):
            np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=TOL, atol=TOL)


def test_a_value_used_several_times_accumulates_every_use():
    x = Tensor(3.0, requires_grad=True)
    y = x * x + x * 2.0 + rm.exp(x) * x  # dy/dx = 2x + 2 + e^x (1 + x)
    y.backward()
    assert x.grad == pytest.approx(2 * 3 + 2 + np.exp(3) * 4, rel=1e-14)
    z = x * 1.0
    w = (z * z * z).sum()  # an intermediate used three times
    x.zero_grad()
    w.backward()
    assert x.grad == pytest.approx(27.0, rel=1e-14)


def test_intermediate_adjoints_match_torch_retain_grad():
    # The chapter's worked example, z = x y + (x + y)^2 at (2, 3), by hand:
    # a = 6, b = 5, c = 25, z = 31; adjoints 1, 10, 1, 1; x 13, y 12.
    x, y = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    a = x * y
    b = x + y
    c = b**2
    z = a + c
    z.backward()
    xt = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    at, bt = xt * yt, xt + yt
    ct = bt**2
    zt = at + ct
    for t in (at, bt, ct, zt):
        t.retain_grad()
    zt.backward()
    for ours, theirs, value, adjoint in zip(
        (x, y, a, b, c, z),
        (xt, yt, at, bt, ct, zt),
        (2, 3, 6, 5, 25, 31),
        (13, 12, 1, 10, 1, 1),
        strict=True,
    ):
        assert ours.data == value == theirs.item()
        assert ours.grad == adjoint == theirs.grad.item()


def test_intermediate_adjoints_start_afresh_on_each_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    y = (h * h).sum()
    y.backward()
    y.backward()  # leaves accumulate, results are recomputed
    np.testing.assert_array_equal(h.grad, [6.0, 12.0])
    np.testing.assert_array_equal(x.grad, [36.0, 72.0])


def test_backward_accumulates_across_calls_until_zero_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    x.zero_grad()
    assert x.grad is None


def test_matmul_with_vectors_and_batches_matches_torch():
    rng = np.random.default_rng(3)
    for sa, sb in [
        ((3,), (3,)),
        ((3,), (3, 4)),
        ((2, 3), (3,)),
        ((5, 2, 3), (3, 4)),
        ((5, 2, 3), (1, 3, 4)),
    ]:
        a, b = rng.normal(size=sa), rng.normal(size=sb)
        ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        (ta @ tb).sum().backward()
        xa, xb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        (xa @ xb).sum().backward()
        np.testing.assert_allclose(ta.grad, xa.grad.numpy(), rtol=TOL, atol=TOL)
        np.testing.assert_allclose(tb.grad, xb.grad.numpy(), rtol=TOL, atol=TOL)


def test_reshape_transpose_and_right_hand_operands():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(2, 6))
    t = Tensor(a, requires_grad=True)
    out = (2.0 / (1.0 + t.reshape(3, 4).T ** 2)).sum() + (np.ones((5, 2)) @ t).sum()
    out.backward()
    x = torch.tensor(a, requires_grad=True)
    out_torch = (2.0 / (1.0 + x.reshape(3, 4).T ** 2)).sum() + (
        torch.ones(5, 2, dtype=torch.float64) @ x
    ).sum()
    out_torch.backward()
    np.testing.assert_allclose(t.grad, x.grad.numpy(), rtol=TOL, atol=TOL)


def test_ten_thousand_chained_operations():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**10_000, rel=1e-10)


# --- transforms ---------------------------------------------------------------


def f_numpy(x):
    return (x * x).sum() + rm.tanh(x).sum() * 2.0


def test_grad_matches_torch():
    x = np.linspace(-1, 1, 5)
    expected = torch.func.grad(lambda t: (t * t).sum() + torch.tanh(t).sum() * 2.0)(
        torch.from_numpy(x)
    )
    np.testing.assert_allclose(grad(f_numpy)(x), expected.numpy(), rtol=TOL)


W = np.random.default_rng(5).normal(size=(4, 3))


def g_ours(x):
    return rm.tanh(Tensor(W) @ x) * x.sum()


def g_torch(x):
    return torch.tanh(torch.from_numpy(W) @ x) * x.sum()


def test_vjp_and_jacobian_match_torch_func():
    x = np.array([0.3, -0.2, 0.5])
    v = np.array([1.0, -2.0, 0.5, 3.0])
    value, vector = vjp(g_ours, x, v)
    value_t, vjp_fn = torch.func.vjp(g_torch, torch.from_numpy(x))
    np.testing.assert_allclose(value, value_t.numpy(), rtol=TOL)
    np.testing.assert_allclose(vector, vjp_fn(torch.from_numpy(v))[0].numpy(), rtol=TOL, atol=TOL)
    jacobian = jacobian_reverse(g_ours, x)
    assert jacobian.shape == (4, 3)
    expected = torch.func.jacrev(g_torch)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(jacobian, expected, rtol=TOL, atol=TOL)


def test_jacobian_of_matrix_input_and_output_shapes():
    x = np.arange(6.0).reshape(2, 3) / 10
    jacobian = jacobian_reverse(lambda t: rm.exp(t).T, x)
    assert jacobian.shape == (3, 2, 2, 3)
    expected = torch.func.jacrev(lambda t: torch.exp(t).T)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(jacobian, expected, rtol=TOL, atol=TOL)


def test_gradients_match_central_finite_differences():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 4))

    def f(t):
        return (rm.sigmoid(t @ Tensor(W)) * rm.log(t * t + 1.0).mean(axis=1, keepdims=True)).sum()

    analytic = grad(f)(x)
    numerical = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        numerical[index] = (f(Tensor(x + step)).data - f(Tensor(x - step)).data) / 2e-6
    np.testing.assert_allclose(analytic, numerical, rtol=1e-6, atol=1e-9)


def test_constant_functions_have_zero_gradient():
    np.testing.assert_array_equal(grad(lambda x: 3.0)(np.ones(2)), [0.0, 0.0])
    np.testing.assert_array_equal(
        jacobian_reverse(lambda x: Tensor([1.0, 2.0]), np.ones(3)), np.zeros((2, 3))
    )


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Tensor([1.0, 2.0]) + "a", TypeError, "unsupported operand type str"),
        (lambda: Tensor([1.0, 2.0]) * None, TypeError, "unsupported operand type NoneType"),
        (lambda: Tensor("abc"), TypeError, "expected real numbers"),
        (
            lambda: Tensor(1 + 2j),
            TypeError,
            "expected real numbers, got complex of dtype complex128",
        ),
        (lambda: Tensor(np.ones(2, dtype=np.complex64)), TypeError, "dtype complex64"),
        (lambda: Tensor(None), TypeError, "expected real numbers, got NoneType"),
        (lambda: Tensor(np.timedelta64(1, "s")), TypeError, "expected real numbers"),
        (lambda: Tensor([1.0]) + (1 + 2j), TypeError, "unsupported operand type complex"),
        (lambda: Tensor([1.0]) * np.complex128(1j), TypeError, "expected real numbers"),
        (lambda: Tensor([1.0]) ** Tensor(2.0), TypeError, "exponent must be a number"),
        (lambda: Tensor(np.ones(3)) + Tensor(np.ones(4)), ValueError, r"shapes \(3,\) and \(4,\)"),
        (lambda: Tensor(np.ones((2, 3))) * np.ones((3, 2)), ValueError, r"\(2, 3\) and \(3, 2\)"),
        (
            lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3))),
            ValueError,
            r"shapes \(2, 3\) and \(2, 3\)",
        ),
        (lambda: Tensor(2.0) @ Tensor(np.ones(3)), ValueError, "cannot multiply"),
        (
            lambda: rm.exp(Tensor(np.ones(3), requires_grad=True)).backward(),
            ValueError,
            "non-scalar",
        ),
        (
            lambda: Tensor(np.ones(3), requires_grad=True).backward(np.ones(2)),
            ValueError,
            r"grad of shape \(3,\)",
        ),
        (lambda: Tensor(1.0).backward(), RuntimeError, "requires_grad"),
        (lambda: grad(lambda x: x * 2.0)(np.ones(3)), ValueError, "scalar-valued"),
        (
            lambda: vjp(lambda x: x * 2.0, np.ones(3), np.ones(2)),
            ValueError,
            r"output's shape \(3,\)",
        ),
    ],
)
def test_bad_input_is_rejected(call, error, message):
    with pytest.raises(error, match=message):
        call()
