"""snippets/initialization.py against torch.nn.init.

Distributions are compared by their moments: sample standard deviations within
2% of the theoretical value for 512x512 and a convolution shape, bounds of the
uniform draws respected, and torch's draws for the same shape meeting the same
checks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.initialization import (
    calculate_gain,
    fan_in_and_fan_out,
    kaiming_normal,
    kaiming_uniform,
    layer_statistics,
    orthogonal,
    xavier_normal,
    xavier_uniform,
)

SHAPES = [(512, 512), (128, 64, 3, 3)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=2, max_size=5))
def test_fans_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert fan_in_and_fan_out(shape) == expected


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        ("linear", None),
        ("conv2d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 1),
        ("selu", None),
    ],
)
def test_gains_match_torch(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


def theoretical_std(kind: str, shape) -> float:
    fan_in, fan_out = fan_in_and_fan_out(shape)
    if kind.startswith("xavier"):
        return math.sqrt(2.0 / (fan_in + fan_out))
    return math.sqrt(2.0 / fan_in)  # He with ReLU, fan_in mode


DRAWS = {
    "xavier_uniform": (
        lambda shape, rng: xavier_uniform(shape, rng=rng),
        torch.nn.init.xavier_uniform_,
    ),
    "xavier_normal": (
        lambda shape, rng: xavier_normal(shape, rng=rng),
        torch.nn.init.xavier_normal_,
    ),
    "kaiming_uniform": (
        lambda shape, rng: kaiming_uniform(shape, nonlinearity="relu", rng=rng),
        lambda t: torch.nn.init.kaiming_uniform_(t, nonlinearity="relu"),
    ),
    "kaiming_normal": (
        lambda shape, rng: kaiming_normal(shape, nonlinearity="relu", rng=rng),
        lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu"),
    ),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", sorted(DRAWS))
def test_draws_have_the_theoretical_std_like_torch(kind, shape):
    ours_fn, torch_fn = DRAWS[kind]
    ours = ours_fn(shape, np.random.default_rng(0))
    torch.manual_seed(0)
    theirs = torch_fn(torch.empty(shape, dtype=torch.float64)).numpy()
    std = theoretical_std(kind, shape)
    for sample in (ours, theirs):
        assert sample.shape == shape
        assert abs(sample.mean()) < 0.02 * std
        assert sample.std() == pytest.approx(std, rel=0.02)
        if kind.endswith("uniform"):
            bound = math.sqrt(3.0) * std
            assert np.abs(sample).max() <= bound
            assert np.abs(sample).max() > 0.99 * bound  # the whole interval is used


def test_modes_gains_and_leaky_slope_scale_the_std():
    rng = np.random.default_rng(0)
    shape = (256, 1024)
    fan_out_std = kaiming_normal(shape, mode="fan_out", nonlinearity="relu", rng=rng).std()
    assert fan_out_std == pytest.approx(math.sqrt(2 / 256), rel=0.02)
    default = kaiming_normal(shape, rng=rng).std()  # leaky_relu with a = 0: gain sqrt(2)
    assert default == pytest.approx(math.sqrt(2 / 1024), rel=0.02)
    leaky = kaiming_uniform(shape, a=math.sqrt(5), rng=rng)
    # nn.Linear's default: kaiming_uniform with a = sqrt(5) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    assert np.abs(leaky).max() <= 1 / math.sqrt(1024)
    assert leaky.std() == pytest.approx(1 / math.sqrt(3 * 1024), rel=0.02)
    assert xavier_normal(shape, gain=5 / 3, rng=rng).std() == pytest.approx(
        5 / 3 * math.sqrt(2 / (256 + 1024)), rel=0.02
    )


def test_seeded_draws_repeat():
    a = xavier_uniform((4, 5), rng=np.random.default_rng(3))
    b = xavier_uniform((4, 5), rng=np.random.default_rng(3))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("shape", [(64, 64), (32, 128), (128, 32), (16, 8, 3, 3)], ids=str)
def test_orthogonal_is_orthogonal_like_torch(shape):
    w = orthogonal(shape, gain=2.0, rng=np.random.default_rng(0)).reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-12)
    theirs = torch.nn.init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=2.0)
    theirs = theirs.reshape(shape[0], -1).numpy()
    np.testing.assert_allclose(np.linalg.svd(theirs, compute_uv=False), 2.0, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(w, compute_uv=False), 2.0, rtol=1e-12)


# --- the experiments ------------------------------------------------------------


def mean_over_seeds(init, activation, key, seeds=range(10), depth=10, width=256):
    runs = [
        layer_statistics(
            init, depth, width, activation, n_samples=500, rng=np.random.default_rng(s)
        )[key]
        for s in seeds
    ]
    return np.mean(runs, axis=0)


def test_he_keeps_the_relu_second_moment_and_small_normal_collapses():
    he = mean_over_seeds("kaiming_normal", "relu", "second_moment")
    assert np.all((he[1:] > 0.7) & (he[1:] < 1.4)), he
    small = mean_over_seeds(0.01, "relu", "second_moment")
    assert small[10] < 1e-10
    xavier = mean_over_seeds("xavier_normal", "relu", "second_moment")
    assert 0.3 < xavier[10] * 2**10 < 3  # Xavier loses a factor 2 per ReLU layer


def test_relu_halves_the_second_moment_not_the_variance():
    stats = layer_statistics(
        "kaiming_normal", 1, 1024, "relu", n_samples=4000, rng=np.random.default_rng(0)
    )
    # Pre-activations have variance 2 * E[x0^2] = 2; ReLU keeps half the second moment.
    assert stats["second_moment"][1] == pytest.approx(1.0, rel=0.05)
    # Its variance is (1/2 - 1/(2 pi)) times the pre-activation variance: 2 * 0.3408.
    assert stats["variance"][1] == pytest.approx(2 * (0.5 - 1 / (2 * math.pi)), rel=0.05)


def test_gradients_vanish_backwards_with_small_weights_and_survive_with_he():
    he = mean_over_seeds("kaiming_normal", "relu", "grad_second_moment")
    assert np.all((he > 0.5) & (he < 2.0)), he
    small = mean_over_seeds(0.01, "relu", "grad_second_moment")
    assert small[0] < 1e-10 < small[-1]


def test_layer_statistics_accepts_a_callable_and_a_std():
    calls = []

    def constant_init(shape, rng):
        calls.append(shape)
        return np.full(shape, 1.0 / shape[1])

    stats = layer_statistics(
        constant_init, 3, 8, "linear", n_samples=10, rng=np.random.default_rng(0)
    )
    assert calls == [(8, 8)] * 3
    assert stats["variance"].shape == (4,)
    assert layer_statistics(0.5, 2, 8, "tanh", n_samples=10)["second_moment"].shape == (3,)


# --- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: fan_in_and_fan_out((5,)), ValueError, "out_features, in_features"),
        (lambda: fan_in_and_fan_out((5, 0)), ValueError, "positive integer sizes"),
        (lambda: fan_in_and_fan_out((5, -2, 3)), ValueError, "positive integer sizes"),
        (lambda: xavier_uniform((3,)), ValueError, "out_features, in_features"),
        (lambda: kaiming_normal((3, 3), mode="fan_middle"), ValueError, "fan_in' or 'fan_out"),
        (lambda: kaiming_normal((3, 3), nonlinearity="swish"), ValueError, "unknown nonlinearity"),
        (lambda: calculate_gain("leaky_relu", True), ValueError, "number for the negative slope"),
        (lambda: calculate_gain("gelu"), ValueError, "unknown nonlinearity"),
        (lambda: xavier_normal((3, 3), rng=0), TypeError, "numpy.random.Generator"),
        (lambda: layer_statistics("he", 3, 8, "relu"), ValueError, "unknown init"),
        (lambda: layer_statistics(-0.1, 3, 8, "relu"), ValueError, "must be positive"),
        (lambda: layer_statistics(0.1, 0, 8, "relu"), ValueError, "depth must be a positive"),
        (lambda: layer_statistics(0.1, 3, 8.0, "relu"), ValueError, "width must be a positive"),
        (lambda: layer_statistics(0.1, 3, 8, "gelu"), ValueError, "unknown activation"),
    ],
)
def test_bad_input_is_rejected(call, error, message):
    with pytest.raises(error, match=message):
        call()
