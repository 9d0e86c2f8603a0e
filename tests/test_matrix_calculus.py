"""snippets/matrix_calculus.py against torch.autograd, torch.func.vjp and finite
differences.

Tolerances, all in float64 on values of order one unless stated:
- against PyTorch: 1e-10 absolute and relative (the rules are exact; what
  differs is the order of rounding);
- the hand-trained MLP against torch.autograd: 1e-12 absolute, at every step;
- central finite differences with step 1e-6: 1e-6 relative to the largest
  gradient entry (truncation ~1e-12, rounding ~1e-10);
- float32 attention against PyTorch in float32: 1e-5 absolute.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.matrix_calculus import (
    attention,
    attention_backward,
    cross_entropy,
    cross_entropy_backward,
    init_mlp,
    linear,
    linear_backward,
    log_softmax,
    log_softmax_backward,
    mlp_loss_and_grads,
    relu_backward,
    sgd_step,
    softmax,
    softmax_backward,
    softmax_jacobian,
    sum_to_shape,
    tanh_backward,
)

from conftest import REPO

TOL = 1e-10
F = torch.nn.functional
sizes = st.integers(1, 5)  # 1 included: batch size 1 and size-1 axes
seeds = st.integers(0, 2**32 - 1)


def close(ours, theirs, tol=TOL):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    assert np.shape(ours) == np.shape(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


def numerical_gradient(f, x, h=1e-6):
    """Central differences of the scalar ``f`` with respect to every entry of ``x``."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        up = f()
        x[i] = saved - h
        down = f()
        x[i] = saved
        grad[i] = (up - down) / (2 * h)
    return grad


def assert_gradient_check(f, x, analytic, rtol=1e-6):
    numeric = numerical_gradient(f, x)
    scale = max(1.0, float(np.abs(numeric).max()))
    np.testing.assert_allclose(analytic, numeric, rtol=0, atol=rtol * scale)


def vjp(function, primals, cotangent):
    """torch.func.vjp of ``function`` at NumPy ``primals``, as NumPy arrays."""
    out, pullback = torch.func.vjp(function, *(torch.from_numpy(p) for p in primals))
    grads = pullback(torch.from_numpy(cotangent))
    return out.numpy(), [g.numpy() for g in grads]


# --- linear layer and broadcasting --------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(sizes, sizes, sizes, st.booleans(), seeds)
def test_linear_matches_torch(n, n_in, n_out, with_bias, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(n, n_in)), rng.normal(size=(n_out, n_in))
    b = rng.normal(size=n_out) if with_bias else None
    g = rng.normal(size=(n, n_out))
    primals = (x, w) if b is None else (x, w, b)
    out, grads = vjp(F.linear, primals, g)
    close(linear(x, w, b), out)
    dx, dw, db = linear_backward(x, w, g)
    close(dx, grads[0])
    close(dw, grads[1])
    if b is not None:
        close(db, grads[2])
    # and through torch.autograd, the way a training loop gets them
    xt, wt = (torch.from_numpy(a).requires_grad_() for a in (x, w))
    F.linear(xt, wt).backward(torch.from_numpy(g))
    close(dx, xt.grad)
    close(dw, wt.grad)


def test_linear_gradient_check():
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    g = rng.normal(size=(4, 2))
    dx, dw, db = linear_backward(x, w, g)
    for variable, analytic in [(x, dx), (w, dw), (b, db)]:
        assert_gradient_check(lambda: np.sum(linear(x, w, b) * g), variable, analytic)


@st.composite
def broadcast_pairs(draw):
    """A gradient shape and a shape that broadcasts to it (leading axes dropped,
    some axes set to 1)."""
    full = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=4)))
    dropped = draw(st.integers(0, len(full)))
    small = tuple(1 if draw(st.booleans()) else s for s in full[dropped:])
    return full, small


@settings(max_examples=80, deadline=None)
@given(broadcast_pairs(), seeds)
def test_sum_to_shape_is_the_backward_of_broadcasting(pair, seed):
    full, small = pair
    rng = np.random.default_rng(seed)
    a, g = rng.normal(size=small), rng.normal(size=full)
    at = torch.from_numpy(a).requires_grad_()
    (at + torch.zeros(full, dtype=torch.float64)).backward(torch.from_numpy(g))
    close(sum_to_shape(g, small), at.grad)
    _, (grad,) = vjp(lambda t: t.expand(full), (a,), g)
    close(sum_to_shape(g, small), grad)


def test_sum_to_shape_gradient_check():
    rng = np.random.default_rng(1)
    a, g = rng.normal(size=(3, 1)), rng.normal(size=(2, 3, 4))
    assert_gradient_check(
        lambda: np.sum(np.broadcast_to(a, g.shape) * g), a, sum_to_shape(g, a.shape)
    )


# --- elementwise functions -----------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(sizes, min_size=0, max_size=3), seeds)
def test_elementwise_backwards_match_torch(shape, seed):
    rng = np.random.default_rng(seed)
    x, g = rng.normal(size=shape), rng.normal(size=shape)
    y, (grad,) = vjp(torch.tanh, (x,), g)
    close(tanh_backward(y, g), grad)
    _, (grad,) = vjp(torch.relu, (x,), g)
    close(relu_backward(x, g), grad)


def test_relu_backward_at_zero_is_zero_as_in_torch():
    x, g = np.array([-1.0, 0.0, 2.0]), np.ones(3)
    _, (grad,) = vjp(torch.relu, (x,), g)
    close(relu_backward(x, g), grad)
    assert relu_backward(x, g).tolist() == [0.0, 0.0, 1.0]


def test_elementwise_gradient_checks():
    rng = np.random.default_rng(2)
    x, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    assert_gradient_check(lambda: np.sum(np.tanh(x) * g), x, tanh_backward(np.tanh(x), g))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink for finite differences
    assert_gradient_check(lambda: np.sum(np.maximum(x, 0) * g), x, relu_backward(x, g))


# --- softmax, log-softmax, cross-entropy --------------------------------------------


@st.composite
def arrays_and_axis(draw):
    shape = tuple(draw(st.lists(sizes, min_size=1, max_size=3)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return shape, axis


@settings(max_examples=60, deadline=None)
@given(arrays_and_axis(), st.floats(0.1, 30.0), seeds)
def test_softmax_and_log_softmax_match_torch(case, spread, seed):
    shape, axis = case
    rng = np.random.default_rng(seed)
    x, g = rng.normal(scale=spread, size=shape), rng.normal(size=shape)
    p, (grad,) = vjp(lambda t: torch.softmax(t, axis), (x,), g)
    close(softmax(x, axis), p)
    close(softmax_backward(softmax(x, axis), g, axis), grad)
    log_p, (grad,) = vjp(lambda t: torch.log_softmax(t, axis), (x,), g)
    close(log_softmax(x, axis), log_p)
    close(log_softmax_backward(log_softmax(x, axis), g, axis), grad)


@settings(max_examples=30, deadline=None)
@given(sizes, seeds)
def test_softmax_jacobian_matches_torch_and_the_vjp(n, seed):
    rng = np.random.default_rng(seed)
    x, g = rng.normal(size=n), rng.normal(size=n)
    jacobian = torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, 0), torch.from_numpy(x)
    )
    p = softmax(x)
    close(softmax_jacobian(p), jacobian)
    close(g @ softmax_jacobian(p), softmax_backward(p, g))  # u^T J, without J


def test_softmax_gradient_checks():
    rng = np.random.default_rng(3)
    x, g = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    for axis in (0, 1):
        assert_gradient_check(
            lambda axis=axis: np.sum(softmax(x, axis) * g),
            x,
            softmax_backward(softmax(x, axis), g, axis),
        )
        assert_gradient_check(
            lambda axis=axis: np.sum(log_softmax(x, axis) * g),
            x,
            log_softmax_backward(log_softmax(x, axis), g, axis),
        )


def test_softmax_survives_large_logits():
    x = np.array([1000.0, 0.0, -1000.0])
    assert np.isfinite(softmax(x)).all() and np.isfinite(log_softmax(x)).all()
    close(log_softmax(x), torch.log_softmax(torch.from_numpy(x), 0))


@settings(max_examples=60, deadline=None)
@given(sizes, sizes, st.sampled_from([0.0, 0.1, 0.5, 1.0]), seeds)
def test_cross_entropy_matches_torch(n, c, smoothing, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3.0, size=(n, c))
    targets = rng.integers(0, c, size=n)
    lt = torch.from_numpy(logits).requires_grad_()
    loss = F.cross_entropy(lt, torch.from_numpy(targets), label_smoothing=smoothing)
    loss.backward()
    assert abs(cross_entropy(logits, targets, smoothing) - loss.item()) < TOL
    close(cross_entropy_backward(logits, targets, smoothing), lt.grad)
    _, (grad,) = vjp(
        lambda t: F.cross_entropy(t, torch.from_numpy(targets), label_smoothing=smoothing),
        (logits,),
        np.array(1.0),
    )
    close(cross_entropy_backward(logits, targets, smoothing), grad)


def test_cross_entropy_gradient_check():
    rng = np.random.default_rng(4)
    logits, targets = rng.normal(size=(3, 4)), np.array([0, 3, 1])
    for smoothing in (0.0, 0.2):
        assert_gradient_check(
            lambda s=smoothing: cross_entropy(logits, targets, s),
            logits,
            cross_entropy_backward(logits, targets, smoothing),
        )


# --- attention ------------------------------------------------------------------------


@st.composite
def attention_shapes(draw):
    lead = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    lq, lk, d, dv = (draw(sizes) for _ in range(4))
    return (*lead, lq, d), (*lead, lk, d), (*lead, lk, dv)


@settings(max_examples=60, deadline=None)
@given(attention_shapes(), seeds)
def test_attention_matches_scaled_dot_product_attention(shapes, seed):
    rng = np.random.default_rng(seed)
    q, k, v = (rng.normal(size=s) for s in shapes)
    out, p = attention(q, k, v)
    g = rng.normal(size=out.shape)
    qt, kt, vt = (torch.from_numpy(a).requires_grad_() for a in (q, k, v))
    out_t = F.scaled_dot_product_attention(qt, kt, vt)
    out_t.backward(torch.from_numpy(g))
    close(out, out_t)
    grads = attention_backward(q, k, v, out, p, g)
    for ours, theirs in zip(grads, (qt, kt, vt), strict=True):
        close(ours, theirs.grad)
    _, theirs = vjp(F.scaled_dot_product_attention, (q, k, v), g)
    for ours, grad in zip(grads, theirs, strict=True):
        close(ours, grad)


def test_attention_gradient_check():
    rng = np.random.default_rng(5)
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 2))
    g = rng.normal(size=(2, 3, 2))
    grads = attention_backward(q, k, v, *attention(q, k, v), g)
    for variable, analytic in zip((q, k, v), grads, strict=True):
        assert_gradient_check(lambda: np.sum(attention(q, k, v)[0] * g), variable, analytic)


def test_attention_in_float32():
    rng = np.random.default_rng(6)
    q, k, v, g = (rng.normal(size=(2, 4, 32, 16)).astype(np.float32) for _ in range(4))
    out, p = attention(q, k, v)
    grads = attention_backward(q, k, v, out, p, g)
    assert out.dtype == np.float32 and all(a.dtype == np.float32 for a in grads)
    qt, kt, vt = (torch.from_numpy(a).requires_grad_() for a in (q, k, v))
    out_t = F.scaled_dot_product_attention(qt, kt, vt)
    out_t.backward(torch.from_numpy(g))
    close(out, out_t, tol=1e-5)
    for ours, theirs in zip(grads, (qt, kt, vt), strict=True):
        close(ours, theirs.grad, tol=1e-5)


# --- the hand-trained MLP -----------------------------------------------------------


def torch_mlp_step(params, x, targets):
    tp = {name: torch.from_numpy(a).requires_grad_() for name, a in params.items()}
    h = torch.tanh(F.linear(torch.from_numpy(x), tp["w1"], tp["b1"]))
    loss = F.cross_entropy(F.linear(h, tp["w2"], tp["b2"]), torch.from_numpy(targets))
    loss.backward()
    return loss.item(), {name: t.grad.numpy() for name, t in tp.items()}


@pytest.mark.parametrize("n", [1, 2, 16])
def test_mlp_matches_torch_autograd_at_every_training_step(n):
    rng = np.random.default_rng(7)
    x, targets = rng.normal(size=(n, 4)), rng.integers(0, 3, size=n)
    ours = init_mlp(4, 8, 3, rng)
    theirs = {name: a.copy() for name, a in ours.items()}
    losses = []
    for _ in range(25):
        loss, grads = mlp_loss_and_grads(ours, x, targets)
        loss_t, grads_t = torch_mlp_step(theirs, x, targets)
        assert abs(loss - loss_t) < 1e-12
        for name in grads:
            np.testing.assert_allclose(grads[name], grads_t[name], rtol=0, atol=1e-12)
        ours = sgd_step(ours, grads, lr=0.5)
        theirs = {name: theirs[name] - 0.5 * grads_t[name] for name in theirs}
        for name in ours:
            np.testing.assert_allclose(ours[name], theirs[name], rtol=0, atol=1e-12)
        losses.append(loss)
    assert losses[-1] < losses[0]


def test_mlp_gradient_check():
    rng = np.random.default_rng(8)
    x, targets = rng.normal(size=(5, 3)), rng.integers(0, 4, size=5)
    params = init_mlp(3, 6, 4, rng)
    _, grads = mlp_loss_and_grads(params, x, targets)
    for name, value in params.items():
        assert_gradient_check(lambda: mlp_loss_and_grads(params, x, targets)[0], value, grads[name])


def test_init_mlp_matches_nn_linear_bounds():
    params = init_mlp(16, 4, 3, np.random.default_rng(0))
    assert params["w1"].shape == (4, 16) and params["w2"].shape == (3, 4)
    assert np.abs(params["w1"]).max() <= 1 / 4 and np.abs(params["b2"]).max() <= 1 / 2


# --- bad input --------------------------------------------------------------------------

X = np.ones((2, 3))
W = np.ones((4, 3))
Q = np.ones((2, 5, 4))
OUT, P = attention(Q, Q, Q)
LOGITS = np.zeros((2, 3))
PARAMS = init_mlp(3, 4, 2, np.random.default_rng(0))

BAD = [
    (linear, (np.ones((2, 3), dtype=int), W), TypeError, "float NumPy array"),
    (linear, (X.tolist(), W), TypeError, "float NumPy array, got list"),
    (linear, (np.ones(3), W), ValueError, "x must be 2-D"),
    (linear, (X, np.ones((4, 2))), ValueError, r"expects 2"),
    (linear, (X, W, np.ones(3)), ValueError, r"bias must have shape \(4,\)"),
    (linear_backward, (X, W, np.ones((2, 3))), ValueError, r"grad_y must have shape \(2, 4\)"),
    (linear_backward, (X, W, np.ones((2, 4), dtype=np.int64)), TypeError, "grad_y"),
    (sum_to_shape, (X, (3, 3)), ValueError, "does not broadcast"),
    (sum_to_shape, (X, (1, 2, 3)), ValueError, "does not broadcast"),
    (tanh_backward, (X, np.ones(3)), ValueError, r"grad_y must have shape \(2, 3\)"),
    (relu_backward, (X, np.ones((2, 3), dtype=bool)), TypeError, "grad_y"),
    (softmax, (X, 2), ValueError, "axis 2 is out of range"),
    (softmax, (X, 1.0), TypeError, "axis must be an integer"),
    (softmax, (np.arange(3),), TypeError, "float NumPy array"),
    (softmax_jacobian, (X,), ValueError, "p must be 1-D"),
    (softmax_backward, (X, np.ones((3, 2))), ValueError, "grad_p must have shape"),
    (log_softmax, (X, -3), ValueError, "out of range"),
    (log_softmax_backward, (X, np.ones(2)), ValueError, "grad must have shape"),
    (cross_entropy, (LOGITS, np.array([0, 3])), ValueError, r"must lie in \[0, 3\)"),
    (cross_entropy, (LOGITS, np.array([-1, 0])), ValueError, r"must lie in \[0, 3\)"),
    (cross_entropy, (LOGITS, np.array([0.0, 1.0])), TypeError, "integer classes"),
    (cross_entropy, (LOGITS, np.array([0, 1, 2])), ValueError, r"shape \(2,\)"),
    (cross_entropy, (np.zeros(3), np.array([0])), ValueError, "logits must be 2-D"),
    (cross_entropy, (LOGITS, np.array([0, 1]), 1.5), ValueError, "label_smoothing"),
    (cross_entropy_backward, (LOGITS, np.array([0, 5])), ValueError, "must lie in"),
    (attention, (Q, Q, np.ones((2, 6, 4))), ValueError, "expected q"),
    (attention, (Q, np.ones((2, 5, 3)), Q), ValueError, "share d"),
    (attention, (np.ones(4), np.ones(4), np.ones(4)), ValueError, "rank >= 2"),
    (attention, (Q, Q, np.ones((5, 4))), ValueError, "same rank"),
    (attention, (Q.astype(np.int32), Q, Q), TypeError, "q must be a float"),
    (attention_backward, (Q, Q, Q, OUT, P, np.ones((2, 5, 3))), ValueError, "grad_out"),
    (attention_backward, (Q, Q, Q, OUT, P[..., :4], OUT), ValueError, "p must have shape"),
    (attention_backward, (Q, Q, Q, OUT[0], P, OUT), ValueError, "out must have shape"),
    (init_mlp, (0, 4, 2, np.random.default_rng(0)), ValueError, "in_features must be"),
    (init_mlp, (3, 2.0, 2, np.random.default_rng(0)), ValueError, "hidden must be"),
    (mlp_loss_and_grads, ({"w1": W}, X, np.array([0, 1])), ValueError, "needs w1, b1"),
    (mlp_loss_and_grads, (PARAMS, np.ones((2, 5)), np.array([0, 1])), ValueError, "expects 3"),
    (mlp_loss_and_grads, (PARAMS, X, np.array([0, 2])), ValueError, r"\[0, 2\)"),
    (sgd_step, (PARAMS, {"w1": W}, 0.1), ValueError, "grads needs"),
]


@pytest.mark.parametrize(
    ("function", "args", "error", "message"),
    BAD,
    ids=[f"{i}-{case[0].__name__}" for i, case in enumerate(BAD)],
)
def test_bad_input_is_rejected_with_a_clear_message(function, args, error, message):
    with pytest.raises(error, match=message):
        function(*args)


# --- the module is copyable alone ----------------------------------------------------


def test_module_imports_only_numpy_and_runs_when_copied_alone(tmp_path):
    source = (REPO / "snippets" / "matrix_calculus.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "numpy"}
    (tmp_path / "matrix_calculus.py").write_text(source, encoding="utf-8")
    script = (
        "import numpy as np\n"
        "from matrix_calculus import cross_entropy_backward\n"
        "print(cross_entropy_backward(np.zeros((1, 2)), np.array([1])).tolist())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[[0.5, -0.5]]"


# --- edges: empty axes, 0-D arrays, NaN (ported from PyTorch's own tests) -----------


@pytest.mark.parametrize("shape", [(5, 0, 0), (0,), (3, 0), (0, 4), ()])
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_and_log_softmax_of_empty_and_0d_arrays_match_torch(shape, axis):
    x = np.random.default_rng(0).normal(size=shape)
    for ours, theirs in [(softmax, torch.softmax), (log_softmax, torch.log_softmax)]:
        expected = theirs(torch.from_numpy(x), axis).numpy()
        result = ours(x, axis)
        assert result.shape == expected.shape == x.shape
        close(result, expected)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(sizes | st.just(0), min_size=0, max_size=3),
    st.sampled_from([np.float16, np.float32, np.float64]),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1e-300, 1e300, -1e300]),
    seeds,
)
def test_relu_backward_edges_match_torch(shape, dtype, special, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(dtype)
    with np.errstate(over="ignore"):
        x.flat[: x.size // 2] = np.asarray(special).astype(dtype)
    g = rng.normal(size=shape).astype(dtype)
    expected = torch.ops.aten.threshold_backward(
        torch.from_numpy(g), torch.relu(torch.from_numpy(x)), 0
    ).numpy()
    np.testing.assert_array_equal(relu_backward(x, g), expected)
    assert relu_backward(x, g).dtype == dtype


def test_relu_backward_passes_nan_on_as_torch_does():
    x, g = np.array([np.nan, -1.0, 2.0]), np.array([5.0, 5.0, 5.0])
    xt = torch.from_numpy(x.copy()).requires_grad_()
    torch.relu(xt).backward(torch.from_numpy(g))
    np.testing.assert_array_equal(relu_backward(x, g), xt.grad.numpy())
    assert relu_backward(x, g).tolist()[1:] == [0.0, 5.0]
    assert relu_backward(x, g)[0] != 0  # never a silent 0 where x is NaN
