"""Backward passes derived by hand with matrix calculus, and an MLP trained.

Each forward function sits next to the backward rule that the chapter
``docs/matrix-calculus.md`` derives for it: a linear layer, broadcasting,
elementwise functions, softmax, log-softmax, cross-entropy, scaled dot-product
attention. Shapes follow PyTorch: a batch is ``(N, D)``, a weight is
``(out_features, in_features)``, attention takes ``(..., L, d)``; a gradient
has the shape of its variable. The chapter embeds the sections marked
``--8<--`` below. This module imports only NumPy, so it can be copied on its
own.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "attention",
    "attention_backward",
    "cross_entropy",
    "cross_entropy_backward",
    "init_mlp",
    "linear",
    "linear_backward",
    "log_softmax",
    "log_softmax_backward",
    "mlp_loss_and_grads",
    "relu_backward",
    "sgd_step",
    "softmax",
    "softmax_backward",
    "softmax_jacobian",
    "sum_to_shape",
    "tanh_backward",
]


# --8<-- [start:checks]
Array = np.ndarray  # every array argument below is a NumPy array


def _as_float(name: str, x, ndim: int | None = None) -> np.ndarray:
    """Return ``x`` if it is a floating-point array (of rank ``ndim``)."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(
        x.dtype, np.floating
    ):
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"{name} must be a float NumPy array, got {got}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {x.shape}")
    return x


def _same_shape(name: str, x: np.ndarray, shape: tuple[int, ...]) -> None:
    """Raise unless ``x`` has the given shape."""
    if x.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {x.shape}")


def _check_axis(axis, ndim: int) -> int | None:
    """``axis`` as a non-negative axis (None for a 0-D array, as in torch)."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer, got {type(axis).__name__}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"axis {axis} is out of range for {ndim} dimensions")
    return int(axis) % ndim if ndim else None


def _check_pair(a_name: str, a, b_name: str, b) -> tuple[Array, Array]:
    """Two float arrays of the same shape: a value and its gradient."""
    a, b = _as_float(a_name, a), _as_float(b_name, b)
    _same_shape(b_name, b, a.shape)
    return a, b


def _check_pair_along(a_name, a, b_name, b, axis) -> tuple[Array, Array, int]:
    """``_check_pair`` and the axis that the operation reduces along."""
    a, b = _check_pair(a_name, a, b_name, b)
    return a, b, _check_axis(axis, a.ndim)


def _check_along(x, axis) -> tuple[Array, int | None]:
    """A float array ``x`` and a valid ``axis`` of it."""
    x = _as_float("x", x)
    return x, _check_axis(axis, x.ndim)


def _check_linear(x, weight, bias=None) -> tuple[Array, Array, Array | None]:
    """x ``(N, in)``, weight ``(out, in)`` and bias ``(out,)`` or None."""
    x, weight = _as_float("x", x, 2), _as_float("weight", weight, 2)
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} features but weight (out, in) = "
            f"{weight.shape} expects {weight.shape[1]}"
        )
    if bias is not None:
        _same_shape("bias", _as_float("bias", bias), (weight.shape[0],))
    return x, weight, bias


def _check_linear_backward(x, weight, grad_y) -> tuple[Array, Array, Array]:
    """The linear layer's x and weight, and grad_y ``(N, out)``."""
    x, weight, _ = _check_linear(x, weight)
    grad_y = _as_float("grad_y", grad_y)
    _same_shape("grad_y", grad_y, (x.shape[0], weight.shape[0]))
    return x, weight, grad_y


def _check_sum_to_shape(grad, shape) -> tuple[Array, tuple[int, ...]]:
    """``grad`` and a ``shape`` that broadcasts to ``grad.shape``."""
    grad, shape = _as_float("grad", grad), tuple(shape)
    lead = grad.ndim - len(shape)
    pairs = zip(shape, grad.shape[max(lead, 0) :], strict=False)
    if lead < 0 or not all(s in (1, g) for s, g in pairs):
        raise ValueError(f"shape {shape} does not broadcast to {grad.shape}")
    return grad, shape


def _check_targets(logits, targets, label_smoothing) -> tuple[Array, Array]:
    """Logits ``(N, C)``, classes ``(N,)`` in [0, C), smoothing in [0, 1]."""
    logits = _as_float("logits", logits, 2)
    targets = np.asarray(targets)
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(
            f"targets must be integer classes, got {targets.dtype}"
        )
    n, c = logits.shape
    _same_shape("targets", targets, (n,))
    if n and (targets.min() < 0 or targets.max() >= c):
        low, high = targets.min(), targets.max()
        raise ValueError(f"targets must lie in [0, {c}), got {low} to {high}")
    if not 0.0 <= label_smoothing <= 1.0:
        got = label_smoothing
        raise ValueError(f"label_smoothing must be in [0, 1], got {got}")
    return logits, targets


def _check_attention(q, k, v) -> tuple[Array, Array, Array]:
    """q ``(..., Lq, d)``, k ``(..., Lk, d)``, v ``(..., Lk, dv)``."""
    q, k, v = _as_float("q", q), _as_float("k", k), _as_float("v", v)
    if q.ndim < 2 or q.ndim != k.ndim or q.ndim != v.ndim:
        raise ValueError(
            f"q, k, v must be (..., L, d) with the same rank >= 2, "
            f"got shapes {q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-1] != v.shape[:-1]:
        raise ValueError(
            f"expected q (..., Lq, d), k (..., Lk, d), v (..., Lk, dv), "
            f"got {q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must share d, got {q.shape} and {k.shape}")
    return q, k, v


def _check_attn_grad(q, k, v, out, p, grad_out) -> tuple[Array, ...]:
    """Attention's inputs, its output and weights, and dL/dout."""
    q, k, v = _check_attention(q, k, v)
    out, p = _as_float("out", out), _as_float("p", p)
    grad_out = _as_float("grad_out", grad_out)
    _same_shape("out", out, (*q.shape[:-1], v.shape[-1]))
    _same_shape("grad_out", grad_out, out.shape)
    _same_shape("p", p, (*q.shape[:-1], k.shape[-2]))
    return q, k, v, out, p, grad_out


def _check_sizes(**sizes: int) -> None:
    """Raise unless every size is a positive integer."""
    for name, size in sizes.items():
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(
                f"{name} must be a positive integer, got {size!r}"
            )


def _check_keys(name: str, mapping: dict, keys) -> None:
    """Raise unless ``mapping`` has exactly the given keys."""
    if set(mapping) != set(keys):
        wanted, got = ", ".join(keys), sorted(mapping)
        raise ValueError(f"{name} needs {wanted}, got {got}")


# --8<-- [end:checks]


# --8<-- [start:linear]
def linear(x: Array, weight: Array, bias: Array | None = None) -> Array:
    """``x W^T + b``: x ``(N, in)``, weight ``(out, in)``, bias ``(out,)``."""
    x, weight, bias = _check_linear(x, weight, bias)
    y = x @ weight.T
    if bias is not None:
        y += bias  # broadcast over the batch
    return y


def linear_backward(
    x: Array, weight: Array, grad_y: Array
) -> tuple[Array, ...]:
    """dL/dx ``(N, in)``, dL/dweight ``(out, in)``, dL/dbias ``(out,)``."""
    x, weight, grad_y = _check_linear_backward(x, weight, grad_y)
    grad_x = grad_y @ weight  # dX = G W
    grad_weight = grad_y.T @ x  # dW = G^T X
    grad_bias = grad_y.sum(axis=0)  # b was broadcast over the batch
    return grad_x, grad_weight, grad_bias


# --8<-- [end:linear]


# --8<-- [start:sum_to_shape]
def sum_to_shape(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` over the axes along which ``shape`` was broadcast."""
    grad, shape = _check_sum_to_shape(grad, shape)
    lead = grad.ndim - len(shape)  # axes that broadcasting added on the left
    grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, s in enumerate(shape) if s == 1)
    return grad.sum(axis=stretched, keepdims=True)


# --8<-- [end:sum_to_shape]


# --8<-- [start:elementwise]
def tanh_backward(y: Array, grad_y: Array) -> Array:
    """dL/dx of ``y = tanh(x)``, any shape, from y: ``g * (1 - y**2)``."""
    y, grad_y = _check_pair("y", y, "grad_y", grad_y)
    return grad_y * (1 - y * y)


def relu_backward(x: Array, grad_y: Array) -> Array:
    """dL/dx of ``relu(x)``, any shape; 0 where ``x <= 0``, as in PyTorch."""
    x, grad_y = _check_pair("x", x, "grad_y", grad_y)
    # x <= 0 rather than x > 0: a NaN passes its gradient on, never a silent 0
    return np.where(x <= 0, 0, grad_y).astype(grad_y.dtype)


# --8<-- [end:elementwise]


# --8<-- [start:softmax]
def softmax(x: Array, axis: int = -1) -> Array:
    """Softmax along ``axis``, any shape, stable: the maximum is subtracted."""
    x, axis = _check_along(x, axis)
    # initial=-inf: an empty axis gives an empty result, as in PyTorch
    e = np.exp(x - x.max(axis=axis, keepdims=True, initial=-np.inf))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(p: Array) -> Array:
    """The ``(n, n)`` Jacobian ``diag(p) - p p^T`` of softmax at p ``(n,)``."""
    p = _as_float("p", p, 1)
    return np.diag(p) - np.outer(p, p)


def softmax_backward(p: Array, grad_p: Array, axis: int = -1) -> Array:
    """dL/dx of ``p = softmax(x, axis)`` in O(n): ``p * (g - <g, p>)``."""
    p, grad_p, axis = _check_pair_along("p", p, "grad_p", grad_p, axis)
    return p * (grad_p - (grad_p * p).sum(axis=axis, keepdims=True))


def log_softmax(x: Array, axis: int = -1) -> Array:
    """``x - logsumexp(x)`` along ``axis``, any shape."""
    x, axis = _check_along(x, axis)
    shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
    with np.errstate(divide="ignore"):  # log(0) of an empty axis's sum
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_backward(log_p: Array, grad: Array, axis: int = -1) -> Array:
    """dL/dx of ``log_p = log_softmax(x, axis)``: ``g - p * sum(g)``."""
    log_p, grad, axis = _check_pair_along("log_p", log_p, "grad", grad, axis)
    return grad - np.exp(log_p) * grad.sum(axis=axis, keepdims=True)


# --8<-- [end:softmax]


# --8<-- [start:cross_entropy]
def _soft_targets(
    logits: Array, targets: Array, label_smoothing: float
) -> Array:
    """The ``(N, C)`` target distribution: one-hot rows, smoothed."""
    logits, targets = _check_targets(logits, targets, label_smoothing)
    n, c = logits.shape
    y = np.full(logits.shape, label_smoothing / c, dtype=logits.dtype)
    y[np.arange(n), targets] += 1.0 - label_smoothing
    return y


def cross_entropy(
    logits: Array, targets: Array, label_smoothing: float = 0.0
) -> float:
    """Mean cross-entropy of logits ``(N, C)`` and class indices ``(N,)``."""
    y = _soft_targets(logits, targets, label_smoothing)
    return float(-(y * log_softmax(logits, axis=1)).sum() / len(y))


def cross_entropy_backward(
    logits: Array,
    targets: Array,
    label_smoothing: float = 0.0,
) -> Array:
    """dL/dlogits ``(N, C)`` of the mean cross-entropy: ``(p - y) / N``."""
    y = _soft_targets(logits, targets, label_smoothing)
    return (softmax(logits, axis=1) - y) / len(y)


# --8<-- [end:cross_entropy]


# --8<-- [start:attention]
def attention(q: Array, k: Array, v: Array) -> tuple[Array, Array]:
    """``softmax(q k^T / sqrt(d)) v`` ``(..., Lq, dv)`` and the weights."""
    q, k, v = _check_attention(q, k, v)
    scale = np.asarray(q.shape[-1] ** -0.5, dtype=q.dtype)
    s = (q * scale) @ k.swapaxes(-1, -2)  # scores S, (..., Lq, Lk)
    p = s  # softmax over the keys, in place: S is the largest array
    p -= s.max(axis=-1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=-1, keepdims=True)
    return p @ v, p


# --8<-- [end:attention]


# --8<-- [start:attention_backward]
def attention_backward(
    q: Array, k: Array, v: Array, out: Array, p: Array, grad_out: Array
) -> tuple[Array, Array, Array]:
    """dL/dq, dL/dk, dL/dv of attention from dL/dout ``(..., Lq, dv)``."""
    q, k, v, out, p, grad_out = _check_attn_grad(q, k, v, out, p, grad_out)
    scale = np.asarray(q.shape[-1] ** -0.5, dtype=q.dtype)
    grad_v = p.swapaxes(-1, -2) @ grad_out  # out = P V: dV = P^T dO
    grad_s = grad_out @ v.swapaxes(-1, -2)  # dP = dO V^T
    # Softmax's VJP per row, P * (dP - <dP, P>); the row sums <dP, P> equal
    # <dO, out>, which is (Lq, dv) work instead of (Lq, Lk).
    grad_s -= (grad_out * out).sum(axis=-1, keepdims=True)
    grad_s *= p  # now dS
    grad_q = (grad_s @ k) * scale  # S = (q / sqrt(d)) k^T
    grad_k = grad_s.swapaxes(-1, -2) @ (q * scale)
    return grad_q, grad_k, grad_v


# --8<-- [end:attention_backward]


# --8<-- [start:mlp]
def init_mlp(
    in_features: int, hidden: int, classes: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Weights ``(out, in)`` and biases of a 2-layer MLP, as ``nn.Linear``."""
    _check_sizes(in_features=in_features, hidden=hidden, classes=classes)
    params = {}
    layers = [(in_features, hidden), (hidden, classes)]
    for i, (n_in, n_out) in enumerate(layers):
        bound = 1 / np.sqrt(n_in)  # nn.Linear's U(-1/sqrt(in), 1/sqrt(in))
        params[f"w{i + 1}"] = rng.uniform(-bound, bound, size=(n_out, n_in))
        params[f"b{i + 1}"] = rng.uniform(-bound, bound, size=n_out)
    return params


def mlp_loss_and_grads(
    params: dict[str, Array], x: Array, targets: Array
) -> tuple[float, dict[str, Array]]:
    """Loss and gradients of ``linear2(tanh(linear1(x)))``, x ``(N, in)``."""
    _check_keys("params", params, ["w1", "b1", "w2", "b2"])
    h = np.tanh(linear(x, params["w1"], params["b1"]))  # (N, hidden)
    logits = linear(h, params["w2"], params["b2"])  # (N, classes)
    loss = cross_entropy(logits, targets)
    # Backward: the same steps in reverse, each a rule derived above.
    grad_logits = cross_entropy_backward(logits, targets)
    grad_h, grad_w2, grad_b2 = linear_backward(h, params["w2"], grad_logits)
    grad_pre = tanh_backward(h, grad_h)
    _, grad_w1, grad_b1 = linear_backward(x, params["w1"], grad_pre)
    grads = {"w1": grad_w1, "b1": grad_b1, "w2": grad_w2, "b2": grad_b2}
    return loss, grads


def sgd_step(
    params: dict[str, Array], grads: dict[str, Array], lr: float
) -> dict[str, Array]:
    """New parameters ``p - lr * dL/dp`` for every parameter."""
    _check_keys("grads", grads, params)
    return {name: params[name] - lr * grads[name] for name in params}


# --8<-- [end:mlp]
