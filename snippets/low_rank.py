"""Norms, the SVD and low rank: the implementations of docs/low-rank.md.

Power iteration and the spectral norm, the best low-rank approximation, a
randomized SVD, gradient descent on least squares, a small MLP compressed by
rank, spectral normalization and LoRA layers, and power iteration on
Hessian-vector products. NumPy first; PyTorch where the chapter needs it. The
module imports only NumPy and PyTorch, so it can be copied on its own. The
chapter embeds the sections marked ``--8<--`` below.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

__all__ = [
    "LoRALinear",
    "SpectralNormLinear",
    "accuracy",
    "best_low_rank",
    "compress_mlp",
    "gd_least_squares",
    "hessian_top_eigenvalue",
    "hvp",
    "make_data",
    "power_iteration",
    "randomized_svd",
    "range_finder",
    "spectral_norm",
    "train_mlp",
]


# --8<-- [start:checks]
def check_matrix(a: np.ndarray, name: str = "a") -> np.ndarray:
    """Return a if it is a finite, non-empty, floating-point 2-D array."""
    if not isinstance(a, np.ndarray):
        kind = type(a).__name__
        raise TypeError(f"{name} must be a NumPy array, got {kind}")
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (m, n), got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(
            f"{name} must be float32 or float64, got {a.dtype}; "
            "convert it with a.astype(np.float64)"
        )
    if a.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(
            f"{name} must hold only finite values, not nan or inf"
        )
    return a


def check_count(value: int, name: str, low: int, high: int) -> int:
    """Return value if it is an int with low <= value <= high."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return int(value)


# --8<-- [end:checks]


# --8<-- [start:power_iteration]
def power_iteration(
    a: np.ndarray, iters: int = 500, tol: float = 1e-10, seed: int = 0
) -> tuple[float, np.ndarray, np.ndarray]:
    """Top singular value and vectors (sigma, u (m,), v (n,)) of a (m, n)."""
    a = check_matrix(a)
    check_count(iters, "iters", 1, 10**9)
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
    return sigma, u, v


def spectral_norm(a: np.ndarray, iters: int = 500) -> float:
    """The spectral norm ||a||_2 of a (m, n): its largest singular value."""
    return power_iteration(a, iters)[0]


# --8<-- [end:power_iteration]


# --8<-- [start:best_low_rank]
def best_low_rank(a: np.ndarray, rank: int) -> np.ndarray:
    """The best approximation of a (m, n) of rank at most `rank`: cut SVD."""
    a = check_matrix(a)
    check_count(rank, "rank", 1, min(a.shape))
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return (u[:, :rank] * s[:rank]) @ vt[:rank]


# --8<-- [end:best_low_rank]


# --8<-- [start:randomized_svd]
# --8<-- [start:range_finder]
def range_finder(
    a: np.ndarray,
    size: int,
    power_iters: int = 2,
    seed: int = 0,
) -> np.ndarray:
    """Orthonormal Q (m, size) whose span nearly holds the top of a's range."""
    a = check_matrix(a)
    check_count(size, "size", 1, min(a.shape))
    check_count(power_iters, "power_iters", 0, 100)
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((a.shape[1], size)).astype(a.dtype)
    q, _ = np.linalg.qr(a @ omega)  # a random mix of a's columns
    for _ in range(power_iters):
        # Multiply by A A^T, re-orthonormalizing after each half so that
        # the small directions are not lost to rounding.
        z, _ = np.linalg.qr(a.T @ q)
        q, _ = np.linalg.qr(a @ z)
    return q


# --8<-- [end:range_finder]


def randomized_svd(
    a: np.ndarray,
    rank: int,
    oversample: int = 10,
    power_iters: int = 2,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank-`rank` SVD (U (m, k), S (k,), Vt (k, n)) of a (m, n), randomized."""
    a = check_matrix(a)
    check_count(rank, "rank", 1, min(a.shape))
    check_count(oversample, "oversample", 0, 10**9)
    size = min(rank + oversample, *a.shape)
    q = range_finder(a, size, power_iters, seed)
    b = q.T @ a  # (size, n): a seen through the subspace Q
    u_b, s, vt = np.linalg.svd(b, full_matrices=False)
    return (q @ u_b)[:, :rank], s[:rank], vt[:rank]


# --8<-- [end:randomized_svd]


# --8<-- [start:least_squares]
def gd_least_squares(
    a: np.ndarray, b: np.ndarray, tol: float = 1e-6, max_iters: int = 10**6
) -> int:
    """Steps of gradient descent (step 1/L) until x is within tol of argmin."""
    a = check_matrix(a)
    if not isinstance(b, np.ndarray) or b.shape != (a.shape[0],):
        raise ValueError(f"b must be an array of shape ({a.shape[0]},)")
    check_count(max_iters, "max_iters", 1, 10**9)
    x_star = np.linalg.lstsq(a, b, rcond=None)[0]
    lipschitz = np.linalg.norm(a, 2) ** 2  # largest eigenvalue of A^T A
    x = np.zeros(a.shape[1])
    for step in range(1, max_iters + 1):
        x -= a.T @ (a @ x - b) / lipschitz  # the gradient of ||Ax - b||^2 / 2
        if np.linalg.norm(x - x_star) <= tol * np.linalg.norm(x_star):
            return step
    raise RuntimeError(f"no convergence in {max_iters} steps")


# --8<-- [end:least_squares]


# --8<-- [start:mlp_train]
def make_data(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (n, 32) and labels (n,) in 10 classes, from a random teacher."""
    check_count(n, "n", 1, 10**7)
    g = torch.Generator().manual_seed(1234)  # the same teacher for every seed
    teacher = torch.randn(32, 10, generator=g, dtype=torch.float64)
    g.manual_seed(seed)
    x = torch.randn(n, 32, generator=g, dtype=torch.float64)
    return x, torch.tanh(x @ teacher).argmax(dim=1)


def train_mlp(
    x: torch.Tensor, y: torch.Tensor, steps: int = 200, seed: int = 0
) -> torch.nn.Sequential:
    """A 32-64-64-10 ReLU MLP trained by full-batch Adam on x (N, 32)."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(32, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )
    model = model.double()  # float64: the same result on every machine
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model


# --8<-- [end:mlp_train]


# --8<-- [start:mlp_compress]
def compress_mlp(model: torch.nn.Sequential, rank: int) -> torch.nn.Sequential:
    """A copy of model with each weight replaced by its best rank-k version."""
    check_count(rank, "rank", 1, 10**9)
    layers = []
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            weight = layer.weight.detach().double().numpy()
            k = min(rank, *weight.shape)
            shape = layer.in_features, layer.out_features
            new = torch.nn.Linear(*shape, dtype=layer.weight.dtype)
            with torch.no_grad():
                new.weight.copy_(torch.from_numpy(best_low_rank(weight, k)))
                new.bias.copy_(layer.bias)
            layer = new
        layers.append(layer)
    return torch.nn.Sequential(*layers)


def accuracy(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor
) -> float:
    """The fraction of rows of x (N, 32) that model classifies as y (N,)."""
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).double().mean().item()


# --8<-- [end:mlp_compress]


# --8<-- [start:spectral_norm_linear]
class SpectralNormLinear(torch.nn.Module):
    """A linear layer, weight (out, in), divided by its top singular value."""

    def __init__(self, in_features: int, out_features: int, iters: int = 1):
        super().__init__()
        check_count(in_features, "in_features", 1, 10**9)
        check_count(out_features, "out_features", 1, 10**9)
        self.iters = check_count(iters, "iters", 1, 10**6)
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


# --8<-- [start:lora]
class LoRALinear(torch.nn.Module):
    """A frozen linear layer W (out, in) plus a trainable rank-r update B A."""

    def __init__(self, base: torch.nn.Linear, rank: int, alpha: float = 1.0):
        super().__init__()
        if not isinstance(base, torch.nn.Linear):
            raise TypeError(f"base must be torch.nn.Linear, got {type(base)}")
        out_features, in_features = base.weight.shape
        check_count(rank, "rank", 1, min(out_features, in_features))
        self.base = base.requires_grad_(False)  # W and b stay as they are
        self.rank, self.scaling = rank, alpha / rank
        a = torch.empty(rank, in_features, dtype=base.weight.dtype)
        torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))  # as PEFT does
        self.lora_a = torch.nn.Parameter(a)  # A (r, in): random
        b = torch.zeros(out_features, rank, dtype=base.weight.dtype)
        self.lora_b = torch.nn.Parameter(b)  # B (out, r): zero, so BA = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y (N, out) = x W^T + b + scaling * x A^T B^T, for x (N, in)."""
        if x.shape[-1] != self.base.in_features:
            expected = self.base.in_features
            shape = tuple(x.shape)
            raise ValueError(f"x must end in {expected} features, got {shape}")
        update = (x @ self.lora_a.T) @ self.lora_b.T  # never forms B A
        return self.base(x) + self.scaling * update

    def merged(self) -> torch.nn.Linear:
        """A plain linear layer with weight W + scaling * B A: no extra cost."""
        out_features, in_features = self.base.weight.shape
        dtype = self.base.weight.dtype
        merged = torch.nn.Linear(in_features, out_features, dtype=dtype)
        delta = self.scaling * self.lora_b @ self.lora_a
        with torch.no_grad():
            merged.weight.copy_(self.base.weight + delta)
            merged.bias.copy_(self.base.bias)
        return merged


# --8<-- [end:lora]


# --8<-- [start:hvp]
def check_vector(t: torch.Tensor, name: str) -> torch.Tensor:
    """Return t if it is a finite, non-empty, floating-point 1-D tensor."""
    if not isinstance(t, torch.Tensor):
        kind = type(t).__name__
        raise TypeError(f"{name} must be a torch.Tensor, got {kind}")
    if t.ndim != 1 or t.numel() == 0:
        raise ValueError(
            f"{name} must be 1-D (P,), got shape {tuple(t.shape)}"
        )
    if not t.is_floating_point():
        raise TypeError(f"{name} must be float32 or float64, got {t.dtype}")
    if not torch.isfinite(t).all():
        raise ValueError(
            f"{name} must hold only finite values, not nan or inf"
        )
    return t


def hvp(
    loss: Callable[[torch.Tensor], torch.Tensor],
    params: torch.Tensor,
    vector: torch.Tensor,
) -> torch.Tensor:
    """The Hessian-vector product H v (P,) of loss at params (P,)."""
    check_vector(params, "params")
    if check_vector(vector, "vector").shape != params.shape:
        shape = tuple(params.shape)
        raise ValueError(f"vector must have the shape of params, {shape}")
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
    check_vector(params, "params")
    check_count(iters, "iters", 1, 10**6)
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
