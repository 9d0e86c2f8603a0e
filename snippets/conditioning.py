"""Conditioning and curvature: the implementations of docs/conditioning.md.

Power iteration and the spectral norm, spectral normalization, gradient
descent on a quadratic and on least squares, and power iteration on
Hessian-vector products. NumPy first; PyTorch where the chapter needs it. The
module imports only NumPy and PyTorch, so it can be copied on its own. The
chapter embeds the sections marked ``--8<--`` below.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

__all__ = [
    "SpectralNormLinear",
    "gd_least_squares",
    "gd_quadratic",
    "hessian_top_eigenvalue",
    "hvp",
    "power_iteration",
    "spectral_norm",
]


# --8<-- [start:checks]
def _check_count(value: int, name: str, low: int = 1) -> int:
    """Return value if it is an int with low <= value <= 10**9."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not low <= value <= 10**9:
        raise ValueError(f"{name} must be in [{low}, 10**9], got {value}")
    return int(value)


def _check_array(a: np.ndarray, name: str, ndim: int) -> np.ndarray:
    """Return a if it is a finite, non-empty float array with ndim axes."""
    if not isinstance(a, np.ndarray):
        kind = type(a).__name__
        raise TypeError(f"{name} must be a NumPy array, got {kind}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(
            f"{name} must be float16, float32 or float64, got {a.dtype}; "
            f"convert it with {name}.astype(np.float64)"
        )
    if a.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must hold only finite values, not nan/inf")
    return a


def _check_matrix(a: np.ndarray, iters: int) -> None:
    """Raise unless a is a finite float matrix (m, n) and iters >= 1."""
    _check_array(a, "a", 2)
    _check_count(iters, "iters")


def _check_least_squares(a: np.ndarray, b: np.ndarray, iters: int) -> None:
    """Raise unless a (m, n) and b (m,) are finite floats and iters >= 1."""
    _check_matrix(a, iters)
    if _check_array(b, "b", 1).shape != (a.shape[0],):
        raise ValueError(f"b must have shape ({a.shape[0]},), got {b.shape}")


def _check_quadratic(h: np.ndarray, x0: np.ndarray, steps: int) -> None:
    """Raise unless h is a square (n, n), x0 is (n,) and steps >= 0."""
    n = len(_check_array(x0, "x0", 1))
    if _check_array(h, "h", 2).shape != (n, n):
        raise ValueError(f"h must have shape ({n}, {n}), got {h.shape}")
    _check_count(steps, "steps", 0)


def _check_vector(t: torch.Tensor, name: str) -> torch.Tensor:
    """Return t if it is a finite, non-empty, floating-point 1-D tensor."""
    if not isinstance(t, torch.Tensor):
        kind = type(t).__name__
        raise TypeError(f"{name} must be a torch.Tensor, got {kind}")
    if t.ndim != 1 or t.numel() == 0:
        shape = tuple(t.shape)
        raise ValueError(f"{name} must be 1-D (P,), got shape {shape}")
    if not t.is_floating_point():
        raise TypeError(f"{name} must be float32 or float64, got {t.dtype}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must hold only finite values, not nan/inf")
    return t


def _check_hvp(params: torch.Tensor, vector: torch.Tensor) -> None:
    """Raise unless params and vector are finite float tensors (P,)."""
    _check_vector(params, "params")
    if _check_vector(vector, "vector").shape != params.shape:
        shape = tuple(params.shape)
        raise ValueError(f"vector must have the shape of params, {shape}")


def _check_params(params: torch.Tensor, iters: int) -> None:
    """Raise unless params is a finite float tensor (P,) and iters >= 1."""
    _check_vector(params, "params")
    _check_count(iters, "iters")


def _check_features(in_features: int, out_features: int, iters: int) -> None:
    """Raise unless the sizes and the number of power steps are ints >= 1."""
    _check_count(in_features, "in_features")
    _check_count(out_features, "out_features")
    _check_count(iters, "iters")


# --8<-- [end:checks]


# --8<-- [start:power_iteration]
def power_iteration(
    a: np.ndarray, iters: int = 500, tol: float = 1e-10, seed: int = 0
) -> tuple[float, np.ndarray, np.ndarray]:
    """Top singular value and vectors (sigma, u (m,), v (n,)) of a (m, n)."""
    _check_matrix(a, iters)
    scale = np.abs(a).max() or 1.0  # as LAPACK: a / scale cannot overflow
    a = a / scale
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(a.shape[1]).astype(a.dtype)
    v /= np.linalg.norm(v)
    u = np.zeros(a.shape[0], dtype=a.dtype)
    sigma = 0.0
    for _ in range(iters):
        u = a @ v  # one step of v <- A^T A v, in two halves
        norm_u = np.linalg.norm(u)
        if norm_u == 0:  # v is in the null space: a is the zero matrix
            return 0.0, u, v
        u /= norm_u
        w = a.T @ u
        sigma = float(np.linalg.norm(w))  # = u^T A v_new, the estimate
        w /= sigma
        # Stop when v stops moving; sigma is then right to about tol^2.
        converged = np.linalg.norm(w - v) <= tol
        v = w
        if converged:
            break
    return sigma * float(scale), u, v


def spectral_norm(a: np.ndarray, iters: int = 500) -> float:
    """The spectral norm ||a||_2 of a (m, n): its largest singular value."""
    return power_iteration(a, iters)[0]


# --8<-- [end:power_iteration]


# --8<-- [start:spectral_norm_linear]
class SpectralNormLinear(torch.nn.Module):
    """A linear layer, weight (out, in), divided by its top singular value."""

    def __init__(self, in_features: int, out_features: int, iters: int = 1):
        super().__init__()
        _check_features(in_features, out_features, iters)
        self.iters = iters
        linear = torch.nn.Linear(in_features, out_features)  # its init
        self.weight = torch.nn.Parameter(linear.weight.detach().clone())
        self.bias = torch.nn.Parameter(linear.bias.detach().clone())
        u = torch.nn.functional.normalize(torch.randn(out_features), dim=0)
        v = torch.nn.functional.normalize(torch.randn(in_features), dim=0)
        self.register_buffer("u", u)
        self.register_buffer("v", v)
        self.power_steps(15)  # start from good vectors, as PyTorch does

    @torch.no_grad()
    def power_steps(self, iters: int) -> None:
        """Refine the singular vector estimates u, v by `iters` steps."""
        normalize = torch.nn.functional.normalize
        for _ in range(iters):
            self.u = normalize(self.weight @ self.v, dim=0, eps=1e-12)
            self.v = normalize(self.weight.T @ self.u, dim=0, eps=1e-12)

    def sigma(self) -> torch.Tensor:
        """u^T W v: the top singular value, differentiable in W only."""
        return self.u @ self.weight @ self.v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y (N, out) = x (N, in) W^T / sigma + b; power steps in training."""
        if self.training:
            self.power_steps(self.iters)
        w = self.weight / self.sigma()
        return torch.nn.functional.linear(x, w, self.bias)


# --8<-- [end:spectral_norm_linear]


# --8<-- [start:gd_quadratic]
def gd_quadratic(
    h: np.ndarray, x0: np.ndarray, lr: float, steps: int
) -> np.ndarray:
    """The path (steps + 1, n) of gradient descent on x^T h x / 2 from x0."""
    _check_quadratic(h, x0, steps)
    path = [x0]
    for _ in range(steps):
        path.append(path[-1] - lr * (h @ path[-1]))  # the gradient is h x
    return np.array(path)


# --8<-- [end:gd_quadratic]


# --8<-- [start:least_squares]
def gd_least_squares(
    a: np.ndarray, b: np.ndarray, tol: float = 1e-6, max_iters: int = 10**6
) -> int:
    """Steps of gradient descent (step 1/L) until x is within tol of argmin."""
    _check_least_squares(a, b, max_iters)
    x_star = np.linalg.lstsq(a, b, rcond=None)[0]
    lipschitz = np.linalg.norm(a, 2) ** 2  # largest eigenvalue of A^T A
    x = np.zeros(a.shape[1])
    for step in range(1, max_iters + 1):
        x -= a.T @ (a @ x - b) / lipschitz  # the gradient of ||Ax - b||^2 / 2
        if np.linalg.norm(x - x_star) <= tol * np.linalg.norm(x_star):
            return step
    raise RuntimeError(f"no convergence in {max_iters} steps")


# --8<-- [end:least_squares]


# --8<-- [start:hvp]
def hvp(
    loss: Callable[[torch.Tensor], torch.Tensor],
    params: torch.Tensor,
    vector: torch.Tensor,
) -> torch.Tensor:
    """The Hessian-vector product H v (P,) of loss at params (P,)."""
    _check_hvp(params, vector)
    gradient = torch.func.grad(loss)  # reverse mode: params -> dL/dparams
    return torch.func.jvp(gradient, (params,), (vector,))[1]  # forward mode


# --8<-- [end:hvp]


# --8<-- [start:hessian_power]
def hessian_top_eigenvalue(
    loss: Callable[[torch.Tensor], torch.Tensor],
    params: torch.Tensor,
    iters: int = 100,
    seed: int = 0,
) -> tuple[float, torch.Tensor]:
    """The largest-magnitude Hessian eigenvalue and its eigenvector (P,)."""
    _check_params(params, iters)
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(params.shape, generator=g, dtype=params.dtype)
    v = v / v.norm()
    eigenvalue = 0.0
    for _ in range(iters):
        hv = hvp(loss, params, v)
        eigenvalue = (v @ hv).item()  # Rayleigh quotient v^T H v
        if hv.norm() == 0:
            break
        v = hv / hv.norm()
    return eigenvalue, v


# --8<-- [end:hessian_power]
