"""A reverse-mode automatic differentiation engine on NumPy arrays.

Each operation computes its result and, right beside it, the closure that maps
the gradient of the result to the gradients of its inputs. ``backward`` sorts
the graph once, without recursion, and runs those closures from the output
back to the leaves. The chapter ``docs/autodiff.md`` embeds the sections
marked ``--8<--`` below. This module imports only NumPy, so it can be copied
on its own.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "Tensor",
    "as_tensor",
    "exp",
    "grad",
    "jacobian_reverse",
    "log",
    "relu",
    "sigmoid",
    "tanh",
    "vjp",
]


# --8<-- [start:node]
class _Node:
    """A node of the graph: its data, gradient, inputs and backward rule."""

    __array_ufunc__ = None  # NumPy defers to Tensor: array * Tensor gives one

    def __init__(self, data, requires_grad: bool = False) -> None:
        self.data = _real_array(data)  # float64
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self._parents: tuple[Tensor, ...] = ()  # the inputs of the operation
        self._backward: Callable | None = None  # grad of result -> of inputs

    @classmethod
    def from_op(cls, data, parents: tuple[Tensor, ...], backward) -> Tensor:
        """A result of ``parents``; ``backward(g)`` returns their gradients."""
        out = cls(data)
        if any(p.requires_grad for p in parents):  # else a constant: no graph
            out.requires_grad = True
            out._parents, out._backward = parents, backward
        return out

    def backward(self, grad=None) -> None:
        """Add d(self)/d(leaf) times ``grad`` to every leaf's ``.grad``."""
        grad = _seed(self, grad)  # 1 for a scalar
        order = _topological_order(self)  # every node after its inputs
        for node in order:  # results start afresh, leaves accumulate
            if node._parents:
                node.grad = None
        self._accumulate(grad)
        for node in reversed(order):  # every node before its inputs
            if node._parents:
                grads = node._backward(node.grad)
                for parent, g in zip(node._parents, grads, strict=True):
                    if parent.requires_grad:
                        parent._accumulate(g)

    def _accumulate(self, g: np.ndarray) -> None:
        g = _unbroadcast(g, self.data.shape)
        # A value used several times adds up the gradient of every use.
        self.grad = np.array(g) if self.grad is None else self.grad + g

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape


# --8<-- [end:node]


# --8<-- [start:arithmetic]
class _Arithmetic(_Node):
    """The operators, each with its backward rule beside it."""

    def __add__(self, other):
        other = _operand(self, other, "+")
        y = self.data + other.data
        return Tensor.from_op(y, (self, other), lambda g: (g, g))

    def __sub__(self, other):
        other = _operand(self, other, "-")
        y = self.data - other.data
        return Tensor.from_op(y, (self, other), lambda g: (g, -g))

    def __mul__(self, other):
        other = _operand(self, other, "*")
        a, b = self.data, other.data
        return Tensor.from_op(a * b, (self, other), lambda g: (g * b, g * a))

    def __truediv__(self, other):
        other = _operand(self, other, "/")
        b, y = other.data, self.data / other.data
        # d(a/b)/db = -g ((a/b)/b), grouped as PyTorch groups it (b * b would
        # underflow to 0 first), so that inf, nan and rounding agree with it
        return Tensor.from_op(
            y, (self, other), lambda g: (g / b, -g * (y / b))
        )

    def __pow__(self, p):
        _check_power(p)
        a = self.data

        def backward(g):  # x**0 = 1 is a constant: gradient 0, even at x = 0
            return (np.zeros_like(g) if p == 0 else g * p * a ** (p - 1),)

        return Tensor.from_op(a**p, (self,), backward)

    def __neg__(self):
        return Tensor.from_op(-self.data, (self,), lambda g: (-g,))

    def __matmul__(self, other):
        other = as_tensor(other)
        a, b = self.data, other.data
        _check_matmul_shapes(a, b)

        def backward(g):  # C = A B: dA = dC B^T, dB = A^T dC
            a2 = a[None, :] if a.ndim == 1 else a  # a vector is a row here
            b2 = b[:, None] if b.ndim == 1 else b  # and a column there
            g2 = g[..., None] if b.ndim == 1 else g
            g2 = np.expand_dims(g2, -2) if a.ndim == 1 else g2
            ga = g2 @ np.swapaxes(b2, -1, -2)
            gb = np.swapaxes(a2, -1, -2) @ g2
            return (
                ga[..., 0, :] if a.ndim == 1 else ga,
                gb[..., 0] if b.ndim == 1 else gb,
            )

        return Tensor.from_op(a @ b, (self, other), backward)


# --8<-- [end:arithmetic]


# --8<-- [start:tensor]
class Tensor(_Arithmetic):
    """Float64 values that record how they were computed, for ``backward``."""

    # The operand on the right: 2 * t, 1 - t, array @ t.
    def __radd__(self, other):
        return as_tensor(other) + self

    def __rmul__(self, other):
        return as_tensor(other) * self

    def __rsub__(self, other):
        return as_tensor(other) - self

    def __rtruediv__(self, other):
        return as_tensor(other) / self

    def __rmatmul__(self, other):
        return as_tensor(other) @ self

    def sum(self, axis=None, keepdims: bool = False):
        shape = self.data.shape

        def backward(g):  # every summed entry receives the same gradient
            if axis is not None and not keepdims:
                g = np.expand_dims(g, axis)  # the summed axes back, as size 1
            return (np.broadcast_to(g, shape),)

        y = self.data.sum(axis=axis, keepdims=keepdims)
        return Tensor.from_op(y, (self,), backward)

    def mean(self, axis=None, keepdims: bool = False):
        kept = self.data.sum(axis=axis, keepdims=True).size
        return self.sum(axis, keepdims) / (self.data.size // max(kept, 1))

    def reshape(self, *shape):
        old = self.data.shape
        y = self.data.reshape(*shape)
        return Tensor.from_op(y, (self,), lambda g: (g.reshape(old),))

    @property
    def T(self):
        return Tensor.from_op(self.data.T, (self,), lambda g: (g.T,))

    # --8<-- [end:tensor]
    def __repr__(self) -> str:
        return f"Tensor({self.data!r}, requires_grad={self.requires_grad})"

    def zero_grad(self) -> None:
        self.grad = None


# --8<-- [start:engine]
def _topological_order(root: Tensor) -> list[Tensor]:
    """The nodes that lead to ``root``, each after its inputs; no recursion."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))  # come back once its inputs are ordered
            stack.extend((p, False) for p in node._parents if p.requires_grad)
    return order


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))  # added on the left
    stretched = tuple(
        k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1
    )
    return g.sum(axis=stretched, keepdims=True) if stretched else g


# --8<-- [end:engine]


# --8<-- [start:functions]
def exp(x) -> Tensor:
    x = as_tensor(x)
    y = np.exp(x.data)
    return Tensor.from_op(y, (x,), lambda g: (g * y,))  # d exp(x) = exp(x) dx


def log(x) -> Tensor:
    x = as_tensor(x)
    return Tensor.from_op(np.log(x.data), (x,), lambda g: (g / x.data,))


def tanh(x) -> Tensor:
    x = as_tensor(x)
    y = np.tanh(x.data)
    return Tensor.from_op(y, (x,), lambda g: (g * (1.0 - y * y),))


def relu(x) -> Tensor:
    x = as_tensor(x)
    # Select, not multiply (inf * 0 is nan). As in PyTorch, the gradient is 0
    # where x <= 0 and passes everywhere else, nan included.
    backward = lambda g: (np.where(x.data <= 0, 0.0, g),)  # noqa: E731
    return Tensor.from_op(np.maximum(x.data, 0.0), (x,), backward)


def sigmoid(x) -> Tensor:
    x = as_tensor(x)
    y = 0.5 * (1.0 + np.tanh(0.5 * x.data))  # 1 / (1 + exp(-x)), no overflow
    return Tensor.from_op(y, (x,), lambda g: (g * y * (1.0 - y),))


# --8<-- [end:functions]


# --8<-- [start:transforms]
def grad(f: Callable) -> Callable:
    """Return ``x -> df/dx`` for a scalar-valued ``f`` of one array."""

    def gradient(x) -> np.ndarray:
        x = Tensor(x, requires_grad=True)
        y = _scalar(f(x))
        if y.requires_grad:  # else f does not depend on x
            y.backward()
        return np.zeros_like(x.data) if x.grad is None else x.grad

    return gradient


def vjp(f: Callable, x, v) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(f(x), v^T J)``: one reverse pass, for any output shape."""
    x = Tensor(x, requires_grad=True)
    y = as_tensor(f(x))
    v = _cotangent(v, y)
    if y.requires_grad:
        y.backward(v)
    return y.data, np.zeros_like(x.data) if x.grad is None else x.grad


def jacobian_reverse(f: Callable, x) -> np.ndarray:
    """The Jacobian of ``f`` at ``x``, of shape ``f(x).shape + x.shape``."""
    x = Tensor(x, requires_grad=True)
    y = as_tensor(f(x))  # one forward pass; its graph serves every row
    rows = []
    for k in range(y.data.size):  # one VJP per output
        x.grad = None
        if y.requires_grad:
            y.backward(np.eye(1, y.data.size, k).reshape(y.shape))  # output k
        rows.append(np.zeros_like(x.data) if x.grad is None else x.grad)
    return np.stack(rows).reshape(y.shape + x.shape)


# --8<-- [end:transforms]


# --8<-- [start:checks]
def as_tensor(x) -> Tensor:
    """Return ``x`` if it is a Tensor, else a constant Tensor holding it."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, bool) or not isinstance(
        x, (int, float, np.ndarray, np.number, list)
    ):
        raise TypeError(
            f"unsupported operand type {type(x).__name__}; "
            "expected a Tensor, number or array"
        )
    return Tensor(x)


def _real_array(data) -> np.ndarray:
    """``data`` as float64; a TypeError for anything but real numbers."""
    array = np.asarray(data.data if isinstance(data, Tensor) else data)
    if array.dtype.kind not in "buif":  # complex, text, objects, dates
        raise TypeError(
            f"expected real numbers, got {type(data).__name__} "
            f"of dtype {array.dtype}"
        )
    return array.astype(np.float64)


def _operand(a: Tensor, other, op: str) -> Tensor:
    """``other`` as a Tensor whose shape broadcasts with ``a``'s."""
    other = as_tensor(other)
    try:
        np.broadcast_shapes(a.data.shape, other.data.shape)
    except ValueError:
        raise ValueError(
            f"shapes {a.data.shape} and {other.data.shape} cannot be "
            f"broadcast for {op!r}"
        ) from None
    return other


def _check_power(p) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(
            f"the exponent must be a number, got {type(p).__name__}"
        )


def _check_matmul_shapes(a: np.ndarray, b: np.ndarray) -> None:
    inner = b.shape[-2 if b.ndim > 1 else 0] if b.ndim else None
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != inner:
        raise ValueError(
            f"cannot multiply matrices of shapes {a.shape} and {b.shape}"
        )


def _seed(y: Tensor, grad) -> np.ndarray:
    """The gradient that ``y.backward(grad)`` starts from, checked."""
    if not y.requires_grad:
        raise RuntimeError(
            "this tensor does not depend on any tensor with requires_grad=True"
        )
    if grad is None:
        if y.data.size != 1:
            raise ValueError(
                f"backward() on a non-scalar of shape {y.data.shape} needs "
                "grad, the vector to multiply the Jacobian by"
            )
        return np.ones_like(y.data)
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != y.data.shape:
        raise ValueError(
            f"expected grad of shape {y.data.shape}, got {grad.shape}"
        )
    return grad


def _cotangent(v, y: Tensor) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    if v.shape != y.data.shape:
        raise ValueError(
            f"expected v of the output's shape {y.data.shape}, got {v.shape}"
        )
    return v


def _scalar(y) -> Tensor:
    y = as_tensor(y)
    if y.data.size != 1:
        raise ValueError(
            f"grad needs a scalar-valued function, got output shape {y.data.shape}"
        )
    return y


# --8<-- [end:checks]
