"""Norms, the SVD and low rank: the implementations of docs/low-rank.md.

The best low-rank approximation, a randomized SVD, a small MLP compressed by
rank, and LoRA layers. NumPy first; PyTorch where the chapter needs it. The
module imports only NumPy and PyTorch, so it can be copied on its own. The
chapter embeds the sections marked ``--8<--`` below.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "LoRALinear",
    "accuracy",
    "best_low_rank",
    "compress_mlp",
    "make_data",
    "randomized_svd",
    "range_finder",
    "train_mlp",
]


# --8<-- [start:checks]
# The lowest value of each count argument; rank and size are also at most
# min(m, n) of the matrix they belong to.
_LOWEST = {"rank": 1, "size": 1, "n": 1, "oversample": 0, "power_iters": 0}


def _check_count(value: int, name: str, high: int = 10**9) -> int:
    """Return value if it is an int with _LOWEST[name] <= value <= high."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not _LOWEST[name] <= value <= high:
        low = _LOWEST[name]
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return int(value)


def _check_matrix(a: np.ndarray, **counts: int) -> np.ndarray:
    """Return a if it is a finite, non-empty float 2-D array; check counts."""
    if not isinstance(a, np.ndarray):
        kind = type(a).__name__
        raise TypeError(f"a must be a NumPy array, got {kind}")
    if a.ndim != 2:
        raise ValueError(f"a must be 2-D (m, n), got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(
            f"a must be float32 or float64, got {a.dtype}; "
            "convert it with a.astype(np.float64)"
        )
    if a.size == 0:
        raise ValueError(f"a must not be empty, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("a must hold only finite values, not nan or inf")
    for name, value in counts.items():
        small = name in ("rank", "size")  # at most min(m, n)
        _check_count(value, name, min(a.shape) if small else 10**9)
    return a


def _check_lora(base: torch.nn.Module, rank: int) -> None:
    """Raise unless base is a torch.nn.Linear and 1 <= rank <= min(out, in)."""
    if not isinstance(base, torch.nn.Linear):
        raise TypeError(f"base must be torch.nn.Linear, got {type(base)}")
    _check_count(rank, "rank", min(base.weight.shape))


def _check_features(x: torch.Tensor, features: int) -> None:
    """Raise unless x is a tensor whose last axis has `features` entries."""
    if not isinstance(x, torch.Tensor) or x.ndim == 0:
        raise TypeError(f"x must be a tensor (N, {features}), got {type(x)}")
    if x.shape[-1] != features:
        shape = tuple(x.shape)
        raise ValueError(f"x must end in {features} features, got {shape}")


# --8<-- [end:checks]


# --8<-- [start:best_low_rank]
def best_low_rank(a: np.ndarray, rank: int) -> np.ndarray:
    """The best approximation of a (m, n) of rank at most `rank`: cut SVD."""
    _check_matrix(a, rank=rank)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return (u[:, :rank] * s[:rank]) @ vt[:rank]


# --8<-- [end:best_low_rank]


# --8<-- [start:randomized_svd]
def range_finder(
    a: np.ndarray, size: int, power_iters: int = 2, seed: int = 0
) -> np.ndarray:
    """Orthonormal Q (m, size) whose span nearly holds the top of a's range."""
    _check_matrix(a, size=size, power_iters=power_iters)
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((a.shape[1], size)).astype(a.dtype)
    q, _ = np.linalg.qr(a @ omega)  # a random mix of a's columns
    for _ in range(power_iters):
        # Multiply by A A^T, re-orthonormalizing after each half so that
        # the small directions are not lost to rounding.
        z, _ = np.linalg.qr(a.T @ q)
        q, _ = np.linalg.qr(a @ z)
    return q


def randomized_svd(
    a: np.ndarray,
    rank: int,
    oversample: int = 10,
    power_iters: int = 2,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank-`rank` SVD (U (m, k), S (k,), Vt (k, n)) of a (m, n), randomized."""
    _check_matrix(a, rank=rank, oversample=oversample)
    size = min(rank + oversample, *a.shape)
    q = range_finder(a, size, power_iters, seed)
    b = q.T @ a  # (size, n): a seen through the subspace Q
    u_b, s, vt = np.linalg.svd(b, full_matrices=False)
    return (q @ u_b)[:, :rank], s[:rank], vt[:rank]


# --8<-- [end:randomized_svd]


# --8<-- [start:mlp_train]
def make_data(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (n, 32) and labels (n,) in 10 classes, from a random teacher."""
    _check_count(n, "n", 10**7)
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
    _check_count(rank, "rank")
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


# --8<-- [start:lora]
class LoRALinear(torch.nn.Module):
    """A frozen linear layer W (out, in) plus a trainable rank-r update B A."""

    def __init__(self, base: torch.nn.Linear, rank: int, alpha: float = 1.0):
        super().__init__()
        _check_lora(base, rank)
        out_features, in_features = base.weight.shape
        self.base = base.requires_grad_(False)  # W and b stay as they are
        self.rank, self.scaling = rank, alpha / rank
        a = torch.empty(rank, in_features, dtype=base.weight.dtype)
        torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))  # as PEFT does
        self.lora_a = torch.nn.Parameter(a)  # A (r, in): random
        b = torch.zeros(out_features, rank, dtype=base.weight.dtype)
        self.lora_b = torch.nn.Parameter(b)  # B (out, r): zero, so BA = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y (N, out) = x W^T + b + scaling * x A^T B^T, for x (N, in)."""
        _check_features(x, self.base.in_features)
        update = (x @ self.lora_a.T) @ self.lora_b.T  # never forms B A
        return self.base(x) + self.scaling * update

    def merged(self) -> torch.nn.Linear:
        """A plain linear layer with weight W + scaling * B A: no extra cost."""
        out_features, in_features = self.base.weight.shape
        bias = self.base.bias is not None  # a base without bias stays so
        dtype = self.base.weight.dtype
        merged = torch.nn.Linear(in_features, out_features, bias, dtype=dtype)
        delta = self.scaling * self.lora_b @ self.lora_a
        with torch.no_grad():
            merged.weight.copy_(self.base.weight + delta)
            if bias:
                merged.bias.copy_(self.base.bias)
        return merged


# --8<-- [end:lora]
