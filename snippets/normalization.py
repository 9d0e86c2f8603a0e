"""Batch, layer and RMS normalization with hand-written backward passes.

Shapes follow PyTorch: ``(N, C)`` or ``(N, C, L)`` for BatchNorm1d,
``(N, C, H, W)`` for BatchNorm2d, ``(*, *normalized_shape)`` for LayerNorm and
RMSNorm. float16 input is normalized in float32 and returned in float16, as
PyTorch does; NumPy has no bfloat16, so these layers refuse it. The chapter
``docs/normalization.md`` embeds the sections marked ``--8<--`` below. This
module imports only NumPy, so it can be copied on its own.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "RMSNorm"]


# --8<-- [start:checks]
def _check_float(x) -> np.ndarray:
    """Return ``x`` if it is a floating-point NumPy array; raise otherwise."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(
        x.dtype, np.floating
    ):
        raise TypeError(
            f"expected a floating-point NumPy array, got {type(x).__name__}"
            + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else "")
        )
    return x


def _check_grad(cache: tuple | None, dy) -> np.ndarray:
    """Check dy against the input shape that the last forward cached last."""
    if cache is None:
        raise RuntimeError("backward() needs a forward() first")
    dy = _check_float(dy)
    if dy.shape != cache[-1]:
        raise ValueError(f"expected dy of shape {cache[-1]}, got {dy.shape}")
    return dy


def _check_batchnorm_settings(num_features, eps, momentum) -> None:
    if (
        isinstance(num_features, bool)
        or not isinstance(num_features, int)
        or num_features <= 0
    ):
        raise ValueError(
            f"num_features must be a positive integer, got {num_features!r}"
        )
    number = (int, float, np.floating)
    if momentum is not None and not (
        isinstance(momentum, number) and 0.0 <= momentum <= 1.0
    ):
        raise ValueError(
            f"momentum must be a number in [0, 1] or None, got {momentum!r}"
        )
    if not isinstance(eps, number) or not eps > 0:
        raise ValueError(f"eps must be positive (a number), got {eps!r}")


def _check_batch(layer, x) -> np.ndarray:
    """Check a batch-norm input: rank, channels, size, values per channel."""
    x = _check_float(x)
    if x.ndim not in layer.ranks:
        layouts = " or ".join(f"{r}-D" for r in layer.ranks)
        raise ValueError(
            f"{type(layer).__name__} expects {layouts} input, "
            f"got shape {x.shape}"
        )
    if x.shape[1] != layer.num_features:
        raise ValueError(
            f"expected {layer.num_features} channels on axis 1, "
            f"got shape {x.shape}"
        )
    if x.size == 0:
        raise ValueError(
            f"expected a non-empty batch, got input shape {x.shape}"
        )
    if layer.training and x.size // x.shape[1] <= 1:
        raise ValueError(
            "expected more than 1 value per channel when training, "
            f"got input shape {x.shape}"
        )
    return x


def _check_normalized_shape(normalized_shape, eps) -> tuple[int, ...]:
    shape = (
        (normalized_shape,)
        if isinstance(normalized_shape, int)
        else tuple(normalized_shape)
    )
    if not shape or any(
        isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in shape
    ):
        raise ValueError(
            "normalized_shape must be positive integers, "
            f"got {normalized_shape!r}"
        )
    if eps is not None and eps <= 0:
        raise ValueError(f"eps must be positive, got {eps}")
    return shape


def _check_ends_in(x, shape: tuple[int, ...]) -> np.ndarray:
    x = _check_float(x)
    if x.shape[x.ndim - len(shape) :] != shape:
        raise ValueError(
            f"expected input ending in {shape}, got shape {x.shape}"
        )
    return x


# --8<-- [end:checks]


# --8<-- [start:base]
class _Normalization:
    """What all four layers share: train/eval, calling, the compute dtype."""

    def __init__(self) -> None:
        self.training = True
        # what backward needs from the last forward
        self._cache: tuple | None = None

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def _compute_dtype(dtype) -> np.dtype:
        """float32 for float16, whose squares and counts overflow at 65504."""
        return np.promote_types(dtype, np.float32)


# --8<-- [end:base]


# --8<-- [start:batchnorm_init]
class _BatchNormState(_Normalization):
    """Batch norm's settings, parameters and running statistics."""

    ranks: tuple[int, ...] = ()

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1
    ) -> None:
        super().__init__()
        _check_batchnorm_settings(num_features, eps, momentum)
        self.num_features, self.eps = num_features, eps
        self.momentum = momentum
        self.num_batches_tracked = 0  # for momentum=None: a cumulative average
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.dgamma: np.ndarray | None = None
        self.dbeta: np.ndarray | None = None


# --8<-- [end:batchnorm_init]


# --8<-- [start:batchnorm_forward]
class _BatchNormForward(_BatchNormState):
    """Batch norm's forward pass, per channel (axis 1)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalize by batch statistics (training) or running ones (eval)."""
        x = _check_batch(self, x)
        # View as (N, C, positions): channel c's statistics are over axes 0
        # and 2, which einsum("ncp->c") sums in one pass, without temporaries.
        # float16 is computed in float32, as in PyTorch: 65536 overflows it.
        x3 = x.reshape(x.shape[0], self.num_features, -1)
        x3 = x3.astype(self._compute_dtype(x.dtype), copy=False)
        count = x3.shape[0] * x3.shape[2]  # values per channel
        if self.training:
            mean = np.einsum("ncp->c", x3) / count
            centred = x3 - mean[:, None]
            var = np.einsum("ncp,ncp->c", centred, centred) / count  # biased
            # PyTorch's update: new = (1 - momentum) * old + momentum * batch,
            # and the running variance is unbiased (divide by count - 1).
            # momentum=None weighs batch t by 1 / t: the mean of all batches.
            self.num_batches_tracked += 1
            m = self.momentum
            if m is None:
                m = 1 / self.num_batches_tracked
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * count / (
                count - 1
            )
        else:
            mean = self.running_mean.astype(x3.dtype)
            var = self.running_var.astype(x3.dtype)
            centred = x3 - mean[:, None]
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x3.dtype)
        x_hat = centred
        x_hat *= inv_std[:, None]  # in place: centred is not needed any more
        y = x_hat * self.gamma.astype(x3.dtype)[:, None]
        y += self.beta.astype(x3.dtype)[:, None]
        self._cache = (x_hat, inv_std, count, self.training, x.dtype, x.shape)
        return y.reshape(x.shape).astype(x.dtype, copy=False)


# --8<-- [end:batchnorm_forward]


# --8<-- [start:batchnorm_backward]
class _BatchNorm(_BatchNormForward):
    """Normalize each channel (axis 1) over the batch and all later axes."""

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Return dL/dx for the last forward; store dL/dgamma and dL/dbeta."""
        dy = _check_grad(self._cache, dy)
        x_hat, inv_std, count, training, dtype, shape = self._cache
        dy3 = dy.reshape(x_hat.shape).astype(x_hat.dtype, copy=False)
        dbeta = np.einsum("ncp->c", dy3)
        dgamma = np.einsum("ncp,ncp->c", dy3, x_hat)
        self.dbeta, self.dgamma = (
            dbeta.astype(np.float64),
            dgamma.astype(np.float64),
        )
        # gamma / sigma per channel
        scale = (self.gamma.astype(x_hat.dtype) * inv_std)[:, None]
        if not training:  # the statistics are constants in evaluation
            return (dy3 * scale).reshape(shape).astype(dtype, copy=False)
        # The batch statistics depend on every x; their gradients fold into
        # dx = gamma / sigma * (dy - mean(dy) - x_hat * mean(dy * x_hat)),
        # and those two means are dbeta / count and dgamma / count.
        dx = x_hat * (dgamma / count)[:, None]
        np.subtract(dy3, dx, out=dx)
        dx -= (dbeta / count)[:, None]
        dx *= scale
        return dx.reshape(shape).astype(dtype, copy=False)


class BatchNorm1d(_BatchNorm):
    """Batch normalization of ``(N, C)`` or ``(N, C, L)`` input, per channel."""

    ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of ``(N, C, H, W)`` images, over (N, H, W)."""

    ranks = (4,)


# --8<-- [end:batchnorm_backward]


# --8<-- [start:per_sample]
class _PerSampleNorm(_Normalization):
    """Normalize over the trailing ``normalized_shape`` axes of each sample."""

    def __init__(self, normalized_shape, eps: float | None) -> None:
        super().__init__()
        shape = _check_normalized_shape(normalized_shape, eps)
        self.normalized_shape, self.eps = shape, eps
        self.gamma = np.ones(shape)
        self.dgamma: np.ndarray | None = None

    def _axes(self, x: np.ndarray) -> tuple[int, ...]:
        _check_ends_in(x, self.normalized_shape)
        k = len(self.normalized_shape)
        return tuple(range(x.ndim - k, x.ndim))


# --8<-- [end:per_sample]


# --8<-- [start:layernorm]
class LayerNorm(_PerSampleNorm):
    """Layer norm (Ba et al. 2016): each sample over its last axes."""

    def __init__(self, normalized_shape, eps: float = 1e-5) -> None:
        super().__init__(normalized_shape, eps)
        self.beta = np.zeros(self.normalized_shape)
        self.dbeta: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return gamma * (x - mean) / sqrt(var + eps) + beta, per sample."""
        axes = self._axes(x)
        xc = x.astype(self._compute_dtype(x.dtype), copy=False)  # float16: 32
        mean = xc.mean(axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(
            xc.var(axis=axes, keepdims=True) + xc.dtype.type(self.eps)
        )
        x_hat = (xc - mean) * inv_std
        self._cache = (x_hat, inv_std, axes, x.dtype, x.shape)
        y = self.gamma.astype(xc.dtype) * x_hat + self.beta.astype(xc.dtype)
        return y.astype(x.dtype, copy=False)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Return dL/dx; store dL/dgamma and dL/dbeta, sums over the batch."""
        dy = _check_grad(self._cache, dy)
        x_hat, inv_std, axes, dtype, _ = self._cache
        dy = dy.astype(x_hat.dtype, copy=False)
        batch_axes = tuple(range(dy.ndim - len(axes)))
        self.dgamma = (dy * x_hat).sum(axis=batch_axes).astype(np.float64)
        self.dbeta = dy.sum(axis=batch_axes).astype(np.float64)
        d_xhat = dy * self.gamma.astype(dy.dtype)
        # The same compact form as batch norm, with the means taken per sample.
        mean_d = d_xhat.mean(axis=axes, keepdims=True)
        mean_d_xhat = (d_xhat * x_hat).mean(axis=axes, keepdims=True)
        dx = inv_std * (d_xhat - mean_d - x_hat * mean_d_xhat)
        return dx.astype(dtype, copy=False)


# --8<-- [end:layernorm]


# --8<-- [start:rmsnorm]
class RMSNorm(_PerSampleNorm):
    """RMS norm (Zhang and Sennrich 2019): scale by 1 / RMS, no centring."""

    def __init__(self, normalized_shape, eps: float | None = None) -> None:
        super().__init__(normalized_shape, eps)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return ``gamma * x / sqrt(mean(x^2) + eps)``; eps: see below."""
        axes = self._axes(x)
        xc = x.astype(self._compute_dtype(x.dtype), copy=False)  # float16: 32
        # As torch.nn.RMSNorm: eps=None is the machine epsilon of the dtype
        # computed in, so float32's for float16.
        eps = np.finfo(xc.dtype).eps if self.eps is None else self.eps
        inv_rms = 1.0 / np.sqrt(
            np.mean(xc * xc, axis=axes, keepdims=True) + xc.dtype.type(eps)
        )
        x_hat = xc * inv_rms
        self._cache = (x_hat, inv_rms, axes, x.dtype, x.shape)
        y = self.gamma.astype(xc.dtype) * x_hat
        return y.astype(x.dtype, copy=False)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Return dL/dx; store dL/dgamma, summed over the batch axes."""
        dy = _check_grad(self._cache, dy)
        x_hat, inv_rms, axes, dtype, _ = self._cache
        dy = dy.astype(x_hat.dtype, copy=False)
        self.dgamma = (
            (dy * x_hat)
            .sum(axis=tuple(range(dy.ndim - len(axes))))
            .astype(np.float64)
        )
        d_xhat = dy * self.gamma.astype(dy.dtype)
        # Without the mean there is no mean(d) term: only the scale's
        # dependence on x.
        dx = inv_rms * (
            d_xhat - x_hat * (d_xhat * x_hat).mean(axis=axes, keepdims=True)
        )
        return dx.astype(dtype, copy=False)


# --8<-- [end:rmsnorm]
