"""Forward-mode automatic differentiation with dual numbers on NumPy arrays.

A ``Dual`` carries a value and a tangent, the derivative of that value along
one chosen input direction. Every operation updates both at once, so one pass
computes f(x) and the Jacobian-vector product J v. The chapter
``docs/autodiff.md`` embeds the sections marked ``--8<--`` below. This module
imports only NumPy, so it can be copied on its own.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable

import numpy as np

__all__ = [
    "Dual",
    "cos",
    "exp",
    "jacobian_forward",
    "jvp",
    "log",
    "relu",
    "sin",
    "sum",
    "tanh",
]


# --8<-- [start:dual]
class Dual:
    """A value and its tangent (its derivative along one input direction)."""

    __array_ufunc__ = None  # NumPy defers to Dual: array * Dual gives a Dual

    def __init__(self, value, tangent=None) -> None:
        self.value = _as_array(value, "value")
        self.tangent = _tangent_of(self.value, tangent)  # None: a constant, 0

    @staticmethod
    def lift(x) -> Dual:
        """Return ``x`` if it is a Dual, else a constant Dual holding it."""
        return x if isinstance(x, Dual) else Dual(_as_array(x, "operand"))

    def __add__(self, other):
        other = Dual.lift(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __sub__(self, other):
        other = Dual.lift(other)
        return Dual(self.value - other.value, self.tangent - other.tangent)

    def __mul__(self, other):  # (a b)' = a' b + a b'
        other = Dual.lift(other)
        a, b = self.value, other.value
        return Dual(a * b, self.tangent * b + a * other.tangent)

    def __truediv__(self, other):  # (a / b)' = (a' - (a / b) b') / b
        other = Dual.lift(other)
        y = self.value / other.value
        return Dual(y, (self.tangent - y * other.tangent) / other.value)

    def __pow__(self, p):  # (a^p)' = p a^(p-1) a'
        _check_exponent(p)
        return Dual(self.value**p, p * self.value ** (p - 1) * self.tangent)

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    def __matmul__(self, other):  # (A B)' = A' B + A B'
        other = Dual.lift(other)
        a, b = self.value, other.value
        _check_matmul(a, b)
        return Dual(a @ b, self.tangent @ b + a @ other.tangent)

    # A number or array on the left: 2 + x and 2 * x commute, 1 - x does not.
    __radd__, __rmul__ = __add__, __mul__

    def __rsub__(self, other):
        return Dual.lift(other) - self

    def __rtruediv__(self, other):
        return Dual.lift(other) / self

    def __rmatmul__(self, other):
        return Dual.lift(other) @ self

    # --8<-- [end:dual]
    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"


# --8<-- [start:functions]
def _elementwise(f: Callable, df: Callable) -> Callable:
    """Make a function of an array or a Dual from ``f`` and its derivative."""

    def apply(x):
        if isinstance(x, Dual):
            return Dual(f(x.value), df(x.value) * x.tangent)  # the chain rule
        return f(_as_array(x, "argument"))

    return apply


exp = _elementwise(np.exp, np.exp)
log = _elementwise(np.log, lambda v: 1.0 / v)
sin = _elementwise(np.sin, np.cos)
cos = _elementwise(np.cos, lambda v: -np.sin(v))
tanh = _elementwise(np.tanh, lambda v: 1.0 - np.tanh(v) ** 2)
relu = _elementwise(
    lambda v: np.maximum(v, 0.0), lambda v: (v > 0).astype(np.float64)
)


def sum(x, axis=None):  # the name mirrors np.sum on purpose
    """Sum of an array or a Dual along ``axis``; the tangent sums alike."""
    if isinstance(x, Dual):
        return Dual(np.sum(x.value, axis=axis), np.sum(x.tangent, axis=axis))
    if _is_iterator(x, axis):  # a generator: the built-in's job
        return builtins.sum(x)
    return np.sum(_as_array(x, "argument"), axis=axis)


# --8<-- [end:functions]


# --8<-- [start:transforms]
def jvp(f: Callable, x, v) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(f(x), J v)``: ``f`` and its derivative along ``v`` at ``x``."""
    x, v = _as_array(x, "x"), _direction(v, x)
    y = Dual.lift(f(Dual(x, v)))
    return y.value, y.tangent


def jacobian_forward(f: Callable, x) -> np.ndarray:
    """The Jacobian of ``f`` at ``x``, of shape ``f(x).shape + x.shape``."""
    x = _as_array(x, "x")
    if x.size == 0:
        return np.zeros(np.shape(f(x)) + x.shape)
    columns = []
    for k in range(x.size):  # one JVP per input
        direction = np.eye(1, x.size, k).reshape(x.shape)  # input k
        columns.append(jvp(f, x, direction)[1])  # column k of the Jacobian
    return np.stack(columns, axis=-1).reshape(columns[0].shape + x.shape)


# --8<-- [end:transforms]


# --8<-- [start:checks]
def _as_array(x, what: str) -> np.ndarray:
    """``x`` as a float64 array; a TypeError for anything but numbers."""
    if isinstance(x, bool) or not isinstance(
        x, (int, float, np.ndarray, np.number, list)
    ):
        raise TypeError(
            f"unsupported {what} type {type(x).__name__}; "
            "expected a number or array"
        )
    return np.asarray(x, dtype=np.float64)


def _tangent_of(value: np.ndarray, tangent) -> np.ndarray:
    """The tangent, of ``value``'s shape; zeros (a constant) for None."""
    if tangent is None:
        return np.zeros_like(value)
    tangent = _as_array(tangent, "tangent")
    if tangent.shape != value.shape:
        raise ValueError(
            "value and tangent must have one shape, got "
            f"{value.shape} and {tangent.shape}"
        )
    return tangent


def _direction(v, x: np.ndarray) -> np.ndarray:
    v = _as_array(v, "v")
    if v.shape != x.shape:
        raise ValueError(f"expected v of x's shape {x.shape}, got {v.shape}")
    return v


def _check_exponent(p) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(
            f"the exponent must be a number, got {type(p).__name__}"
        )


def _check_matmul(a: np.ndarray, b: np.ndarray) -> None:
    inner = b.shape[-2 if b.ndim > 1 else 0] if b.ndim else None
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != inner:
        raise ValueError(
            f"cannot multiply matrices of shapes {a.shape} and {b.shape}"
        )


def _is_iterator(x, axis) -> bool:
    """True for what only Python's ``sum`` can add up, a generator say."""
    numbers = (int, float, list, tuple, np.ndarray, np.number)
    return axis is None and not isinstance(x, numbers)


# --8<-- [end:checks]
