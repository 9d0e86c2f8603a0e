"""Weight initialization: fans, gains, Xavier and He draws, and signal
propagation experiments.

Weights use PyTorch's layout, ``(out_features, in_features, *kernel)``. The
chapter ``docs/initialization.md`` embeds the sections marked ``--8<--`` below.
This module imports only NumPy, so it can be copied on its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "calculate_gain",
    "fan_in_and_fan_out",
    "kaiming_normal",
    "kaiming_uniform",
    "layer_statistics",
    "orthogonal",
    "xavier_normal",
    "xavier_uniform",
]


# --8<-- [start:checks]
_LINEAR = {"linear", "conv1d", "conv2d", "conv3d"}
_LINEAR |= {f"conv_transpose{d}d" for d in (1, 2, 3)}
_NONLINEARITIES = (*sorted(_LINEAR), "sigmoid", "tanh", "relu", "leaky_relu")
_INIT_NAMES = (
    "kaiming_normal",
    "kaiming_uniform",
    "orthogonal",
    "xavier_normal",
    "xavier_uniform",
)
_ACTIVATION_NAMES = ("linear", "relu", "tanh")


def _check_shape(shape: Sequence[int]) -> tuple[int, ...]:
    """``shape`` as a tuple, if it is a weight shape ``(out, in, *kernel)``."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(
            "expected a weight shape (out_features, in_features, *kernel), "
            f"got {shape}"
        )
    if any(
        not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s <= 0
        for s in shape
    ):
        raise ValueError(f"expected positive integer sizes, got {shape}")
    return shape


def _generator(rng: np.random.Generator | None) -> np.random.Generator:
    """Return ``rng``, or a freshly seeded generator when it is None."""
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"expected a numpy.random.Generator, got {type(rng).__name__}"
        )
    return rng


def _check_nonlinearity(nonlinearity: str, param) -> None:
    """Raise unless PyTorch knows ``nonlinearity`` and ``param`` is a slope."""
    if nonlinearity not in (*_NONLINEARITIES, "selu"):
        raise ValueError(
            f"unknown nonlinearity {nonlinearity!r}; expected one of linear, "
            "conv1d, conv2d, conv3d, conv_transpose1d/2d/3d, sigmoid, tanh, "
            "relu, leaky_relu, selu"
        )
    number = isinstance(param, (int, float)) and not isinstance(param, bool)
    if nonlinearity == "leaky_relu" and param is not None and not number:
        raise ValueError(
            f"expected a number for the negative slope, got {param!r}"
        )


def _check_mode(mode: str) -> None:
    """Raise unless ``mode`` is ``"fan_in"`` or ``"fan_out"``."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"expected mode 'fan_in' or 'fan_out', got {mode!r}")


def _check_init(init) -> None:
    """Raise unless ``init`` is a callable, a positive std or a known name."""
    if callable(init):
        return
    if isinstance(init, (int, float)) and not isinstance(init, bool):
        if init <= 0:
            raise ValueError(
                f"a standard deviation must be positive, got {init}"
            )
        return
    if init not in _INIT_NAMES:
        raise ValueError(
            f"unknown init {init!r}; "
            f"expected one of {list(_INIT_NAMES)}, a std, or a callable"
        )


def _check_experiment(activation: str, depth, width, n_samples) -> None:
    """Raise unless the sizes are positive integers and the activation known."""
    sizes = {"depth": depth, "width": width, "n_samples": n_samples}
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(
                f"{name} must be a positive integer, got {value!r}"
            )
    if activation not in _ACTIVATION_NAMES:
        raise ValueError(
            f"unknown activation {activation!r}; "
            f"expected one of {list(_ACTIVATION_NAMES)}"
        )


# --8<-- [end:checks]


# --8<-- [start:fans]
def fan_in_and_fan_out(shape: Sequence[int]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight ``(out, in, *kernel)``, as PyTorch."""
    shape = _check_shape(shape)
    # Each output unit of a convolution sees in_channels * kernel_h * kernel_w
    # inputs; each input feeds out_channels * kernel_h * kernel_w outputs.
    receptive_field = math.prod(shape[2:])
    return int(shape[1]) * receptive_field, int(shape[0]) * receptive_field


# --8<-- [end:fans]


# --8<-- [start:gain]
def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that scales a weight's std for ``nonlinearity``."""
    _check_nonlinearity(nonlinearity, param)
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        # ReLU halves the second moment; this doubles it back.
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param  # PyTorch's default slope
        return math.sqrt(2.0 / (1.0 + slope**2))
    # SELU: found empirically by PyTorch's developers, not derived.
    return 3.0 / 4.0


# --8<-- [end:gain]


# --8<-- [start:xavier]
def xavier_uniform(
    shape, gain: float = 1.0, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Draw from U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Glorot and Bengio's uniform initialization.
    """
    fan_in, fan_out = fan_in_and_fan_out(shape)
    # A uniform on [-a, a] has variance a^2 / 3: here 2 / (fan_in + fan_out).
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _generator(rng).uniform(-bound, bound, size=tuple(shape))


def xavier_normal(
    shape, gain: float = 1.0, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Draw from N(0, std^2), ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = fan_in_and_fan_out(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _generator(rng).normal(0.0, std, size=tuple(shape))


# --8<-- [end:xavier]


# --8<-- [start:kaiming]
def _kaiming_std(shape, a: float, mode: str, nonlinearity: str) -> float:
    """``gain / sqrt(fan)``, the std of He initialization."""
    _check_mode(mode)
    fan_in, fan_out = fan_in_and_fan_out(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(
    shape,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Draw from U(-b, b), ``b = sqrt(3) * gain / sqrt(fan)`` (He et al.)."""
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    return _generator(rng).uniform(-bound, bound, size=tuple(shape))


def kaiming_normal(
    shape,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Draw from N(0, std^2), ``std = gain / sqrt(fan)`` (He et al. 2015)."""
    std = _kaiming_std(shape, a, mode, nonlinearity)
    return _generator(rng).normal(0.0, std, size=tuple(shape))


# --8<-- [end:kaiming]


# --8<-- [start:orthogonal]
def orthogonal(
    shape, gain: float = 1.0, rng: np.random.Generator | None = None
) -> np.ndarray:
    """A (semi-)orthogonal matrix times ``gain``, of shape ``(out, in, *k)``."""
    fan_in_and_fan_out(shape)  # validates the shape
    rows = shape[0]
    cols = math.prod(shape[1:])
    flat = _generator(rng).normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    # Fixing the signs by R's diagonal makes Q uniformly distributed
    # (Mezzadri 2007).
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return gain * q.reshape(tuple(shape))


# --8<-- [end:orthogonal]


# --8<-- [start:initializers]
_ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    # name: (function, derivative)
    "linear": (lambda y: y, lambda y: np.ones_like(y)),
    "tanh": (np.tanh, lambda y: 1.0 - np.tanh(y) ** 2),
    "relu": (lambda y: np.maximum(y, 0.0), lambda y: (y > 0).astype(y.dtype)),
}


def _initializer(init, activation: str) -> Callable:
    """Turn ``init`` (a name, a std or a callable) into ``f(shape, rng)``."""
    _check_init(init)
    if callable(init):
        return init
    if isinstance(init, (int, float)):
        return lambda shape, rng: rng.normal(0.0, init, size=shape)
    gain = calculate_gain(activation)
    named = {
        "xavier_uniform": lambda shape, rng: xavier_uniform(shape, rng=rng),
        "xavier_normal": lambda shape, rng: xavier_normal(shape, rng=rng),
        "kaiming_uniform": lambda shape, rng: kaiming_uniform(
            shape, nonlinearity=activation, rng=rng
        ),
        "kaiming_normal": lambda shape, rng: kaiming_normal(
            shape, nonlinearity=activation, rng=rng
        ),
        "orthogonal": lambda shape, rng: orthogonal(shape, gain=gain, rng=rng),
    }
    return named[init]


# --8<-- [end:initializers]


# --8<-- [start:layer_statistics]
def layer_statistics(
    init,
    depth: int,
    width: int,
    activation: str,
    n_samples: int = 1000,
    rng: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """Push N(0, 1) inputs through ``depth`` bias-free layers and back.

    The layers have ``width`` units. Returns arrays of length ``depth + 1``
    (index 0 is the input): the variance
    and the second moment E[x^2] of each layer's activations, and the second
    moment of the gradient with respect to them when the output receives a
    gradient of N(0, 1) entries.
    """
    _check_experiment(activation, depth, width, n_samples)
    rng = _generator(rng)
    draw = _initializer(init, activation)
    f, df = _ACTIVATIONS[activation]

    x = rng.normal(size=(n_samples, width))
    activations, pre_activations, weights = [x], [], []
    for _ in range(depth):
        w = draw((width, width), rng)  # (out_features, in_features)
        y = x @ w.T
        x = f(y)
        weights.append(w)
        pre_activations.append(y)
        activations.append(x)

    grad = rng.normal(size=(n_samples, width))  # dL/dx at the last layer
    grads = [grad]
    for w, y in zip(reversed(weights), reversed(pre_activations), strict=True):
        # Through the activation, then through x @ w.T.
        grad = (grad * df(y)) @ w
        grads.append(grad)
    grads.reverse()

    return {
        "variance": np.array([a.var() for a in activations]),
        "second_moment": np.array([np.mean(a**2) for a in activations]),
        "grad_second_moment": np.array([np.mean(g**2) for g in grads]),
    }


# --8<-- [end:layer_statistics]
