"""Gradient flow through plain and residual networks.

These are the experiments of the normalization chapter. A network of ``depth``
blocks maps ``(N, width)`` to ``(N, width)``. A plain block is
``x -> f(x @ W.T)``; a residual block is ``x -> x + f(x @ W.T)``. The chapter
``docs/normalization.md`` embeds the sections marked ``--8<--`` below. This
module imports only NumPy, so it can be copied on its own.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "gradient_norms",
    "gradient_terms",
    "jacobian_singular_values",
    "network_forward_backward",
]


# --8<-- [start:checks]
def _check(depth: int, width: int, weight_std: float, activation: str) -> None:
    for name, value in (("depth", depth), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(
                f"{name} must be a positive integer, got {value!r}"
            )
    if not weight_std > 0:
        raise ValueError(f"weight_std must be positive, got {weight_std!r}")
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; "
            f"expected one of {sorted(_ACTIVATIONS)}"
        )


# --8<-- [end:checks]


# --8<-- [start:network]
_ACTIVATIONS = {
    # name: (function, derivative as a function of the pre-activation)
    "tanh": (np.tanh, lambda y: 1.0 - np.tanh(y) ** 2),
    "relu": (lambda y: np.maximum(y, 0.0), lambda y: (y > 0).astype(y.dtype)),
    "linear": (lambda y: y, np.ones_like),
}


def network_forward_backward(
    x: np.ndarray,
    weights: list[np.ndarray],
    residual: bool,
    activation: str,
    grad_out: np.ndarray,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run the blocks on ``x`` (N, width); return the output and dL/dx.

    dL/dx is a list, one at each block's input. ``grad_out`` is dL/d(output).
    Weights are ``(out, in)``, as in ``torch.nn.Linear``.
    """
    f, df = _ACTIVATIONS[activation]
    inputs, pre_activations = [], []
    for w in weights:
        inputs.append(x)
        y = x @ w.T
        pre_activations.append(y)
        x = x + f(y) if residual else f(y)
    grad = grad_out
    grads = []
    for w, y in zip(reversed(weights), reversed(pre_activations), strict=True):
        through_block = (grad * df(y)) @ w  # dL/dx through f(x @ W.T)
        # The identity path adds the incoming gradient unchanged:
        # d(x + F(x))/dx = I + F'(x).
        grad = grad + through_block if residual else through_block
        grads.append(grad)
    return x, grads[::-1]


# --8<-- [end:network]


# --8<-- [start:gradient_norms]
def _draw(
    depth: int, width: int, weight_std: float, seed: int, n_samples: int
):
    """Random weights (depth, width, width), inputs and output gradient."""
    rng = np.random.default_rng(seed)
    weights = [
        rng.normal(0.0, weight_std, size=(width, width)) for _ in range(depth)
    ]
    x = rng.normal(size=(n_samples, width))
    grad_out = rng.normal(size=(n_samples, width)) / n_samples
    return weights, x, grad_out


def gradient_norms(
    depth: int,
    width: int,
    residual: bool,
    weight_std: float,
    activation: str = "tanh",
    seed: int = 0,
    n_samples: int = 64,
) -> np.ndarray:
    """Return ||dL/dx|| at the input of each of ``depth`` blocks.

    Index 0 is the network input. Weights are N(0, weight_std^2); inputs
    N(0, 1). The loss is L = mean_n <r_n, out_n> for a fixed random r with
    N(0, 1) entries, so dL/d(output) = r / N has the same size whatever the
    forward signal did, and the norms show the backward pass alone.
    """
    _check(depth, width, weight_std, activation)
    weights, x, grad_out = _draw(depth, width, weight_std, seed, n_samples)
    _, grads = network_forward_backward(
        x, weights, residual, activation, grad_out
    )
    return np.array([np.linalg.norm(g) for g in grads])


# --8<-- [end:gradient_norms]


# --8<-- [start:jacobian]
def jacobian_singular_values(
    depth: int,
    width: int,
    residual: bool,
    weight_std: float,
    activation: str = "tanh",
    seed: int = 0,
) -> list[np.ndarray]:
    """Singular values of the input-output Jacobian after each block.

    One array for each of the ``depth`` blocks: the spectrum of the Jacobian
    of the blocks up to it, all at one random input.
    """
    _check(depth, width, weight_std, activation)
    rng = np.random.default_rng(seed)
    f, df = _ACTIVATIONS[activation]
    x = rng.normal(size=width)
    jacobian = np.eye(width)
    spectra = []
    for _ in range(depth):
        w = rng.normal(0.0, weight_std, size=(width, width))
        y = w @ x
        block = df(y)[:, None] * w  # d f(W x) / dx = diag(f'(y)) W
        if residual:
            block = block + np.eye(width)
        jacobian = block @ jacobian  # chain rule: multiply the block Jacobians
        x = x + f(y) if residual else f(y)
        spectra.append(np.linalg.svd(jacobian, compute_uv=False))
    return spectra


# --8<-- [end:jacobian]


# --8<-- [start:gradient_terms]
def gradient_terms(
    depth: int,
    width: int,
    weight_std: float,
    activation: str = "tanh",
    seed: int = 0,
    n_samples: int = 64,
) -> dict[str, np.ndarray]:
    """Split the residual gradient at each block into its three terms.

    Block k receives g (N, width) and sends back g + b, b its branch's part:
    ||g + b||^2 = ||g||^2 + ||b||^2 + 2 <g, b>. Returns one value per block of
    each term, and ``stream``, ||dL/dx||^2 at each block's input and, last, at
    the output. Same weights and data as ``gradient_norms``.
    """
    _check(depth, width, weight_std, activation)
    weights, x, grad_out = _draw(depth, width, weight_std, seed, n_samples)
    _, grads = network_forward_backward(x, weights, True, activation, grad_out)
    grads = [*grads, grad_out]  # dL/dx at each block's input, then the output
    incoming = np.array([np.sum(g**2) for g in grads[1:]])
    branch = [grads[k] - grads[k + 1] for k in range(len(grads) - 1)]
    return {
        "stream": np.array([np.sum(g**2) for g in grads]),
        "incoming": incoming,
        "branch": np.array([np.sum(b**2) for b in branch]),
        "cross": np.array(
            [2 * np.sum(g * b) for g, b in zip(grads[1:], branch, strict=True)]
        ),
    }


# --8<-- [end:gradient_terms]
