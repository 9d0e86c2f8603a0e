"""A reverse-mode automatic differentiation engine on NumPy arrays.

Each operation computes its result and, right beside it, the closure that maps
the gradient of the result to the gradients of its inputs. ``backward`` orders
the graph without recursion and runs those closures from the output back to
the leaves. The chapter ``docs/autodiff.md`` embeds the sections marked
``--8<--`` below. This module imports only NumPy, so it can be copied on its
own.
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


# --8<-- [start:tensor]
# --8<-- [start:tensor_reductions]
# --8<-- [start:tensor_matmul]
# --8<-- [start:tensor_arithmetic]
# --8<-- [start:tensor_state]
class Tensor:
    """Float64 values that record how they were computed, for ``backward``."""

    # NumPy defers to Tensor's operators: array + Tensor gives a Tensor.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.data
        array = np.asarray(data)
        if array.dtype.kind not in "buif":  # complex, text, objects, dates
            raise TypeError(
                f"expected real numbers, got {type(data).__name__} "
                f"of dtype {array.dtype}"
            )
        self.data = array.astype(np.float64)
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        # Set by from_op on results: the inputs, and the map from the result's
        # gradient to the inputs' gradients (one per input, in order).
        self._parents: tuple[Tensor, ...] = ()
        self._backward: Callable[[np.ndarray], tuple] | None = None

    @staticmethod
    def from_op(
        data, parents: tuple[Tensor, ...], backward: Callable
    ) -> Tensor:
        """A result of ``parents``; ``backward(g)`` returns their gradients."""
        out = Tensor(data)
        if any(p.requires_grad for p in parents):
            out.requires_grad = True
            out._parents, out._backward = parents, backward
        return out

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Tensor({self.data!r}, requires_grad={self.requires_grad})"

    def zero_grad(self) -> None:
        self.grad = None

    # --8<-- [end:tensor_state]

    def __add__(self, other):
        other = _binary_operand(self, other, "+")
        return Tensor.from_op(
            self.data + other.data, (self, other), lambda g: (g, g)
        )

    def __sub__(self, other):
        other = _binary_operand(self, other, "-")
        return Tensor.from_op(
            self.data - other.data, (self, other), lambda g: (g, -g)
        )

    def __mul__(self, other):
        other = _binary_operand(self, other, "*")
        a, b = self.data, other.data
        return Tensor.from_op(a * b, (self, other), lambda g: (g * b, g * a))

    def __truediv__(self, other):
        other = _binary_operand(self, other, "/")
        b, y = other.data, self.data / other.data
        # d(a/b)/db = -a/b^2, computed as PyTorch does, -(a/b)/b: b * b
        # underflows to 0 for b = 1e-200 where (a/b)/b is still finite.
        return Tensor.from_op(y, (self, other), lambda g: (g / b, -g * y / b))

    def __pow__(self, exponent):
        if isinstance(exponent, bool) or not isinstance(
            exponent, (int, float)
        ):
            raise TypeError(
                f"the exponent must be a number, got {type(exponent).__name__}"
            )
        a = self.data

        def backward(g):
            if exponent == 0:  # x**0 = 1 is constant: 0, not 0 * 0**-1 = nan
                return (np.zeros_like(g),)
            return (g * (exponent * a ** (exponent - 1)),)

        return Tensor.from_op(a**exponent, (self,), backward)

    def __neg__(self):
        return Tensor.from_op(-self.data, (self,), lambda g: (-g,))

    # --8<-- [end:tensor_arithmetic]

    def __matmul__(self, other):
        other = as_tensor(other)
        a, b = self.data, other.data
        if (
            a.ndim == 0
            or b.ndim == 0
            or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]
        ):
            raise ValueError(
                f"cannot multiply matrices of shapes {a.shape} and {b.shape}"
            )

        def backward(g):
            # A vector is a row (left) or a column (right), then drops it.
            a2 = a[None, :] if a.ndim == 1 else a
            b2 = b[:, None] if b.ndim == 1 else b
            g2 = (
                g[..., None] if b.ndim == 1 else g
            )  # the column axis first: g may be 0-d
            g2 = np.expand_dims(g2, -2) if a.ndim == 1 else g2
            ga = g2 @ np.swapaxes(b2, -1, -2)
            gb = np.swapaxes(a2, -1, -2) @ g2
            return (
                ga[..., 0, :] if a.ndim == 1 else ga,
                gb[..., 0] if b.ndim == 1 else gb,
            )

        return Tensor.from_op(a @ b, (self, other), backward)

    # Operands on the right: 2 * t, 1 - t, array @ t, ...
    def __radd__(self, other):
        return as_tensor(other) + self

    def __rsub__(self, other):
        return as_tensor(other) - self

    def __rmul__(self, other):
        return as_tensor(other) * self

    def __rtruediv__(self, other):
        return as_tensor(other) / self

    def __rmatmul__(self, other):
        return as_tensor(other) @ self

    # --8<-- [end:tensor_matmul]

    def sum(self, axis=None, keepdims: bool = False):
        shape = self.data.shape

        def backward(g):
            if (
                not keepdims and axis is not None
            ):  # put the summed axes back, as size 1
                g = np.expand_dims(g, axis)
            return (
                np.broadcast_to(g, shape),
            )  # every summed entry gets the same gradient

        return Tensor.from_op(
            self.data.sum(axis=axis, keepdims=keepdims), (self,), backward
        )

    def mean(self, axis=None, keepdims: bool = False):
        count = self.data.size // max(
            self.data.sum(axis=axis, keepdims=True).size, 1
        )
        return self.sum(axis=axis, keepdims=keepdims) / count

    def reshape(self, *shape):
        original = self.data.shape
        return Tensor.from_op(
            self.data.reshape(*shape),
            (self,),
            lambda g: (g.reshape(original),),
        )

    @property
    def T(self):
        return Tensor.from_op(self.data.T, (self,), lambda g: (g.T,))

    def exp(self):
        return exp(self)

    def log(self):
        return log(self)

    def tanh(self):
        return tanh(self)

    def relu(self):
        return relu(self)

    def sigmoid(self):
        return sigmoid(self)

    # --8<-- [end:tensor_reductions]

    def backward(self, grad=None) -> None:
        """Add d(self)/d(leaf) times ``grad`` to every leaf's ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError(
                "this tensor does not depend on any tensor with "
                "requires_grad=True"
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() on a non-scalar of shape {self.data.shape} "
                    "needs grad, "
                    "the vector to multiply the Jacobian by"
                )
            grad = np.ones_like(self.data)
        grad = np.asarray(grad, dtype=np.float64)
        if grad.shape != self.data.shape:
            raise ValueError(
                f"expected grad of shape {self.data.shape}, got {grad.shape}"
            )
        for leaf, g in _backpropagate(self, grad):
            leaf.grad = g.copy() if leaf.grad is None else leaf.grad + g


# --8<-- [end:tensor]


# --8<-- [start:engine]
def _topological_order(root: Tensor) -> list[Tensor]:
    """Nodes that lead to ``root``, each after its inputs; no recursion."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))  # revisit once every input has been ordered
        stack.extend((p, False) for p in node._parents if p.requires_grad)
    return order


def _backpropagate(
    root: Tensor, grad: np.ndarray
) -> list[tuple[Tensor, np.ndarray]]:
    """Return ``(leaf, gradient)`` pairs; the graph is kept for another run."""
    grads = {id(root): grad}
    leaves = []
    for node in reversed(
        _topological_order(root)
    ):  # outputs before their inputs
        g = grads.pop(
            id(node), None
        )  # complete: every use of node was visited before it
        if g is None:
            continue
        if node._backward is None:
            leaves.append((node, g))
            continue
        for parent, parent_grad in zip(
            node._parents, node._backward(g), strict=True
        ):
            if parent.requires_grad:
                parent_grad = _unbroadcast(parent_grad, parent.data.shape)
                key = id(parent)
                # A value used several times collects every use's gradient.
                grads[key] = (
                    parent_grad
                    if key not in grads
                    else grads[key] + parent_grad
                )
    return leaves


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched."""
    if g.shape == shape:
        return g
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))  # axes added on the left
    stretched = tuple(
        k for k, size in enumerate(shape) if size == 1 and g.shape[k] != 1
    )
    return g.sum(axis=stretched, keepdims=True) if stretched else g


# --8<-- [end:engine]


# --8<-- [start:functions]
def as_tensor(x) -> Tensor:
    """Return ``x`` if it is a Tensor, else a constant Tensor holding it."""
    if isinstance(x, Tensor):
        return x
    if isinstance(
        x, (int, float, np.ndarray, np.number, list)
    ) and not isinstance(x, bool):
        return Tensor(x)
    raise TypeError(
        f"unsupported operand type {type(x).__name__}; "
        "expected a Tensor, number or array"
    )


def _binary_operand(a: Tensor, other, op: str) -> Tensor:
    other = as_tensor(other)
    try:
        np.broadcast_shapes(a.data.shape, other.data.shape)
    except ValueError:
        raise ValueError(
            f"shapes {a.data.shape} and {other.data.shape} cannot be "
            f"broadcast for {op!r}"
        ) from None
    return other


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
    # Select, not multiply: inf * 0 would be nan. As in PyTorch, the gradient
    # is 0 where x <= 0 and passes elsewhere, at nan too.
    return Tensor.from_op(
        np.maximum(x.data, 0.0),
        (x,),
        lambda g: (np.where(x.data <= 0, 0.0, g),),
    )


def sigmoid(x) -> Tensor:
    x = as_tensor(x)
    y = 0.5 * (
        1.0 + np.tanh(0.5 * x.data)
    )  # = 1 / (1 + exp(-x)), with no overflow
    return Tensor.from_op(y, (x,), lambda g: (g * y * (1.0 - y),))


# --8<-- [end:functions]


# --8<-- [start:transforms]
def grad(f: Callable) -> Callable:
    """Return ``x -> df/dx`` for a scalar-valued ``f`` of one array."""

    def gradient(x) -> np.ndarray:
        x = Tensor(x, requires_grad=True)
        y = as_tensor(f(x))
        if y.data.size != 1:
            raise ValueError(
                f"grad needs a scalar-valued function, "
                f"got output shape {y.shape}"
            )
        if not y.requires_grad:
            return np.zeros_like(x.data)  # f does not depend on x
        y.backward()
        return x.grad

    return gradient


def vjp(f: Callable, x, v) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(f(x), v^T J)``: one reverse pass, for any output shape."""
    x = Tensor(x, requires_grad=True)
    y = as_tensor(f(x))
    v = np.asarray(v, dtype=np.float64)
    if v.shape != y.shape:
        raise ValueError(
            f"expected v of the output's shape {y.shape}, got {v.shape}"
        )
    if not y.requires_grad:
        return y.data, np.zeros_like(x.data)
    pairs = _backpropagate(y, v)
    return y.data, next(
        (g for leaf, g in pairs if leaf is x), np.zeros_like(x.data)
    )


def jacobian_reverse(f: Callable, x) -> np.ndarray:
    """The Jacobian of ``f`` at ``x``, of shape ``f(x).shape + x.shape``.

    One VJP per output.
    """
    x = Tensor(x, requires_grad=True)
    y = as_tensor(
        f(x)
    )  # one forward pass; its graph serves every backward pass
    rows = []
    for k in range(y.data.size):
        seed = np.zeros(y.data.size)
        seed[k] = 1.0  # pick output k: the VJP is row k of the Jacobian
        pairs = (
            _backpropagate(y, seed.reshape(y.shape)) if y.requires_grad else []
        )
        rows.append(
            next((g for leaf, g in pairs if leaf is x), np.zeros_like(x.data))
        )
    return np.stack(rows).reshape(y.shape + x.shape)


# --8<-- [end:transforms]
