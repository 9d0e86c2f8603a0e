"""snippets/diagnostics.py: hook-recorded statistics against direct computation,
hook removal, TensorBoard output read back, and the experiment's claims."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from snippets.diagnostics import STATISTICS, LayerStats, make_model, run_experiment, train_step


def small_model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))


@pytest.mark.parametrize("max_norm", [None, 1e-3])
def test_train_step_is_one_sgd_step_on_the_mean_squared_error(max_norm):
    """The loss before the step, and the update of torch's own loop (clipped or not)."""
    x, y = torch.randn(16, 5, generator=torch.Generator().manual_seed(1)), torch.zeros(16, 1)
    ours, theirs = small_model(), small_model()
    loss = train_step(ours, torch.optim.SGD(ours.parameters(), lr=0.1), x, y, max_norm)
    reference = nn.functional.mse_loss(theirs(x), y)
    reference.backward()
    if max_norm is not None:
        nn.utils.clip_grad_norm_(theirs.parameters(), max_norm)
    torch.optim.SGD(theirs.parameters(), lr=0.1).step()
    assert loss == pytest.approx(reference.item(), rel=1e-6)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_recorded_statistics_equal_direct_computation():
    model = small_model()
    x, y = torch.randn(32, 5), torch.randn(32, 1)
    with LayerStats(model, layer_types=(nn.Linear, nn.ReLU)) as stats:
        nn.functional.mse_loss(model(x), y).backward()
        stats.step()

    # The same pass by hand, keeping every layer's output and its gradient.
    h, outputs = x, []
    for module in model:
        h = module(h)
        h.retain_grad()
        outputs.append(h)
    nn.functional.mse_loss(h, y).backward()

    assert list(stats.records) == ["0", "1", "2", "3", "4"]
    for name, output in zip(stats.records, outputs, strict=True):
        record = {s: values[0] for s, values in stats.records[name].items()}
        out = output.detach()
        assert record["mean"] == pytest.approx(out.mean().item(), rel=1e-6)
        assert record["std"] == pytest.approx(out.std().item(), rel=1e-6)
        assert record["second_moment"] == pytest.approx((out**2).mean().item(), rel=1e-6)
        assert record["zero_fraction"] == (out == 0).float().mean().item()
        assert record["grad_norm"] == pytest.approx(output.grad.norm().item(), rel=1e-5)
    assert stats.steps == 1


def test_update_ratio_is_the_relative_weight_change():
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    stats = LayerStats(model, statistics=("update_ratio",))
    before = {name: m.weight.detach().clone() for name, m in stats.layers.items()}
    nn.functional.mse_loss(model(torch.randn(16, 5)), torch.randn(16, 1)).backward()
    optimizer.step()
    stats.step()
    for name, module in stats.layers.items():
        expected = ((module.weight.detach() - before[name]).norm() / before[name].norm()).item()
        assert stats.records[name]["update_ratio"] == [pytest.approx(expected, rel=1e-6)]
    stats.close()


def test_zero_fraction_counts_dead_relus():
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.copy_(torch.tensor([-1.0, -1.0, -1.0, 1.0, 1.0, 1.0]))  # 3 of 6 always off
    with LayerStats(model, layer_types=(nn.ReLU,), statistics=("zero_fraction",)) as stats:
        model(torch.randn(10, 4))
        stats.step()
    assert stats.records["1"]["zero_fraction"] == [0.5]


def test_hooks_are_removed_on_close_and_on_leaving_the_context():
    model = small_model()
    with LayerStats(model) as stats:
        model(torch.randn(4, 5)).sum().backward()
        stats.step()
    for module in model.modules():
        assert not module._forward_hooks and not module._backward_hooks
    model(torch.randn(4, 5)).sum().backward()  # no leak into later passes
    stats.step()
    assert all(math.isnan(v) for v in stats.records["0"]["mean"][1:])
    other = LayerStats(model)
    other.close()
    assert not any(m._forward_hooks for m in model.modules())


def test_tensorboard_event_file_holds_the_tags_and_steps(tmp_path):
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = torch.randn(32, 5), torch.randn(32, 1)
    with SummaryWriter(log_dir=str(tmp_path)) as writer, LayerStats(model) as stats:
        for _ in range(4):
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            stats.step(writer)  # scalars and histograms as training goes
    events = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "histograms": 0})
    events.Reload()
    expected = {f"{layer}/{s}" for layer in ("0", "2", "4") for s in STATISTICS}
    assert set(events.Tags()["scalars"]) == expected
    assert set(events.Tags()["histograms"]) == {f"{layer}/output" for layer in ("0", "2", "4")}
    steps = [event.step for event in events.Scalars("0/grad_norm")]
    assert steps == [0, 1, 2, 3]
    values = [event.value for event in events.Scalars("2/std")]
    np.testing.assert_allclose(values, stats.records["2"]["std"], rtol=1e-6)


def test_write_dumps_every_recorded_step(tmp_path):
    model = small_model()
    with LayerStats(model, statistics=("mean",)) as stats:
        for _ in range(3):
            model(torch.randn(8, 5))
            stats.step()
    with SummaryWriter(log_dir=str(tmp_path)) as writer:
        stats.write(writer)
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    assert [e.step for e in events.Scalars("4/mean")] == [0, 1, 2]


# --- the experiment's claims ------------------------------------------------------


@pytest.fixture(scope="module")
def experiments():
    return {kind: run_experiment(kind) for kind in ("bad", "good", "residual")}


def first_and_last(stats):
    names = list(stats.records)
    return stats.records[names[0]], stats.records[names[-1]]


def test_bad_initialization_vanishes_and_does_not_learn(experiments):
    stats, losses = experiments["bad"]
    first, last = first_and_last(stats)
    assert last["std"][0] < 1e-12 * first["std"][0]  # the signal is gone by the last layer
    assert first["grad_norm"][0] < 1e-12  # and so is the gradient at the first layer
    assert losses[-1] > 0.95 * losses[0]  # so the loss barely moves


def test_good_initialization_keeps_signals_and_learns(experiments):
    stats, losses = experiments["good"]
    first, last = first_and_last(stats)
    assert 0.2 < last["std"][0] / first["std"][0] < 5
    assert 0.1 < first["grad_norm"][0] / last["grad_norm"][0] < 10
    assert losses[-1] < 0.5 * losses[0]
    assert 0.3 < last["zero_fraction"][-1] < 0.7  # about half the ReLUs are off, none dead en masse


def test_normalization_and_residuals_learn_fastest(experiments):
    stats, losses = experiments["residual"]
    first, last = first_and_last(stats)
    assert 0.5 < last["std"][0] / first["std"][0] < 2
    assert losses[-1] < 0.1 * losses[0]
    assert losses[-1] < experiments["good"][1][-1]


# --- bad input ---------------------------------------------------------------------


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="no layers of type Conv2d"):
        LayerStats(small_model(), layer_types=(nn.Conv2d,))
    with pytest.raises(ValueError, match=r"unknown statistics \['variance'\]"):
        LayerStats(small_model(), statistics=("mean", "variance"))
    with pytest.raises(ValueError, match="unknown kind"):
        make_model("terrible")
