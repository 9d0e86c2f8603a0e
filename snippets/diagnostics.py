"""Watching activations and gradients in a PyTorch model through hooks.

``LayerStats`` attaches to the layers of a model chosen by type and records,
per training step, statistics of each layer's output and of the gradient
flowing back into it, and how far the optimizer moved its weights. It can
write them to TensorBoard. ``run_experiment`` is the chapter's small training
run. The chapter ``docs/diagnostics.md`` embeds the sections marked ``--8<--``
below. This module imports only PyTorch (and NumPy), so it can be copied on its
own.
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import nn

__all__ = [
    "STATISTICS",
    "LayerStats",
    "make_model",
    "run_experiment",
    "train_step",
]

# --8<-- [start:checks]
STATISTICS = (
    "mean",
    "std",
    "second_moment",
    "zero_fraction",
    "grad_norm",
    "update_ratio",
)


def _check_statistics(statistics) -> tuple[str, ...]:
    """``statistics`` as a tuple, if every name is one of ``STATISTICS``."""
    unknown = sorted(set(statistics) - set(STATISTICS))
    if unknown:
        raise ValueError(
            f"unknown statistics {unknown}; expected some of {list(STATISTICS)}"
        )
    return tuple(statistics)


def _find_layers(model: nn.Module, layer_types) -> dict[str, nn.Module]:
    """The named submodules of ``model`` of the given types; at least one."""
    layers = {
        name: module
        for name, module in model.named_modules()
        if isinstance(module, layer_types) and name
    }
    if not layers:
        kinds = ", ".join(t.__name__ for t in layer_types)
        raise ValueError(f"the model has no layers of type {kinds} to watch")
    return layers


def _check_kind(kind: str) -> None:
    """Raise unless ``kind`` names one of the chapter's three models."""
    if kind not in ("bad", "good", "residual"):
        raise ValueError(
            f"unknown kind {kind!r}; expected 'bad', 'good' or 'residual'"
        )


# --8<-- [end:checks]


# --8<-- [start:layer_stats_init]
class _Records:
    """The layers to watch, by name, and one list per layer and statistic."""

    def __init__(
        self, model: nn.Module, layer_types=(nn.Linear,), statistics=STATISTICS
    ):
        self.statistics = _check_statistics(statistics)
        self.layers = _find_layers(model, layer_types)  # by name
        # records[layer][statistic] holds one number per completed step.
        self.records = {
            name: {s: [] for s in self.statistics} for name in self.layers
        }
        self.steps = 0
        self._current = {name: {} for name in self.layers}  # step in progress
        self._last_output: dict[str, torch.Tensor] = {}
        self._weights_before = self._snapshot()

    def _snapshot(self) -> dict[str, torch.Tensor | None]:
        """A copy of every watched layer's weight (None if it has none)."""
        return {
            name: module.weight.detach().clone()
            if hasattr(module, "weight")
            else None
            for name, module in self.layers.items()
        }


# --8<-- [end:layer_stats_init]


# --8<-- [start:layer_stats_hooks]
class _HookedRecords(_Records):
    """The records, filled by a forward and a backward hook on every layer."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._handles = self._attach_hooks()

    def _attach_hooks(self) -> list:
        # A full backward hook on the first layer reports the gradient of its
        # output even though its input needs none; PyTorch warns about that,
        # and here it is exactly what we want.
        handles = []
        warnings.filterwarnings(
            "ignore",
            message="Full backward hook is firing when gradients are computed",
        )
        for name, module in self.layers.items():
            handles.append(
                module.register_forward_hook(self._forward_hook(name))
            )
            if "grad_norm" in self.statistics:
                handles.append(
                    module.register_full_backward_hook(
                        self._backward_hook(name)
                    )
                )
        return handles

    def _forward_hook(self, name: str):
        def hook(module, inputs, output):
            self._last_output[name] = output.detach()
            # In float64: squares of tiny float32 activations would underflow
            # to zero.
            y = output.detach().double()
            values = {
                "mean": y.mean(),
                "std": y.std(),
                "second_moment": (y * y).mean(),
                "zero_fraction": (y == 0).float().mean(),
            }
            for statistic, value in values.items():
                if statistic in self.statistics:
                    self._current[name][statistic] = value.item()

        return hook

    def _backward_hook(self, name: str):
        def hook(module, grad_input, grad_output):
            # In float64, for the same reason: a float32 norm of entries near
            # 1e-23 squares them below float32's smallest number: it says 0.
            self._current[name]["grad_norm"] = (
                grad_output[0].detach().double().norm().item()
            )

        return hook


# --8<-- [end:layer_stats_hooks]


# --8<-- [start:layer_stats_step]
class LayerStats(_HookedRecords):
    """Record per-layer statistics at every training step, through hooks.

    ``LayerStats(model, layer_types=(nn.Linear,), statistics=STATISTICS)``.
    For each chosen layer and each step: the ``mean``, ``std``,
    ``second_moment`` (mean of squares) and ``zero_fraction`` of its output,
    the ``grad_norm`` of the loss gradient with respect to that output, and
    the ``update_ratio`` ||W_after - W_before|| / ||W_before|| of its weight
    over the step.
    """

    def step(self, writer=None) -> None:
        """Close the current step: call it after every ``optimizer.step()``."""
        after = self._snapshot()
        for name in self.layers:
            before = self._weights_before[name]
            if "update_ratio" in self.statistics:
                ratio = math.nan
                if before is not None:
                    ratio = (
                        (after[name] - before).norm() / before.norm()
                    ).item()
                self._current[name]["update_ratio"] = ratio
            for statistic in self.statistics:
                self.records[name][statistic].append(
                    self._current[name].get(statistic, math.nan)
                )
            self._current[name] = {}
        self._weights_before = after
        if writer is not None:
            self._write_step(writer, self.steps)
        self.steps += 1

    def _write_step(self, writer, step: int) -> None:
        for name, values in self.records.items():
            for statistic, series in values.items():
                writer.add_scalar(f"{name}/{statistic}", series[step], step)
            if name in self._last_output:
                writer.add_histogram(
                    f"{name}/output", self._last_output[name], step
                )

    def write(self, writer) -> None:
        """Write every recorded step as scalars ``layer/statistic``."""
        for name, values in self.records.items():
            for statistic, series in values.items():
                for step, value in enumerate(series):
                    writer.add_scalar(f"{name}/{statistic}", value, step)

    def close(self) -> None:
        """Remove every hook: the model runs exactly as before."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# --8<-- [end:layer_stats_step]


# --8<-- [start:train_step]
def train_step(model, optimizer, x, y, max_norm: float | None = None) -> float:
    """One step on the mean squared error; returns the loss before the step."""
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    if max_norm is not None:  # cap the length of the step's gradient
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


# --8<-- [end:train_step]


# --8<-- [start:experiment_models]
class ResidualBlock(nn.Module):
    """x + Linear(ReLU(LayerNorm(x))): a pre-normalization residual block."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.act = nn.ReLU()
        self.linear = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.linear(self.act(self.norm(x)))


def make_model(
    kind: str, depth: int = 20, width: int = 64, n_in: int = 16
) -> nn.Module:
    """A deep MLP: ``"bad"`` (N(0, 0.01^2) weights), ``"good"`` (He) or
    ``"residual"``."""
    _check_kind(kind)
    if kind == "residual":
        blocks = [ResidualBlock(width) for _ in range(depth)]
        return nn.Sequential(
            nn.Linear(n_in, width), *blocks, nn.Linear(width, 1)
        )
    layers: list[nn.Module] = [nn.Linear(n_in, width), nn.ReLU()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), nn.ReLU()]
    layers.append(nn.Linear(width, 1))
    model = nn.Sequential(*layers)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            if kind == "bad":
                nn.init.normal_(module.weight, std=0.01)
            else:
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return model


# --8<-- [end:experiment_models]
# --8<-- [start:experiment]


def run_experiment(
    kind: str, steps: int = 60, depth: int = 20, width: int = 64, seed: int = 0
):
    """Train ``make_model(kind)`` on a synthetic regression task.

    Returns the recorded statistics and the losses.
    """
    torch.manual_seed(seed)
    x = torch.randn(512, 16)
    y = (
        torch.sin(x[:, :1] * 2) + 0.5 * x[:, 1:2] * x[:, 2:3]
    )  # a smooth nonlinear target
    model = make_model(kind, depth, width)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    losses = []
    with LayerStats(model, layer_types=(nn.ReLU,)) as stats:
        for _ in range(steps):
            # Capped steps: the bad initialization must fail by vanishing,
            # not by a blow-up.
            losses.append(train_step(model, optimizer, x, y, max_norm=1.0))
            stats.step()
    return stats, losses


# --8<-- [end:experiment]
