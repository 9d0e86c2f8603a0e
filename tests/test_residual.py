"""snippets/residual.py: its hand-written backward pass against torch.autograd and
finite differences, and the claims the normalization chapter makes from it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snippets.residual import gradient_norms, jacobian_singular_values, network_forward_backward

WIDTH, DEPTH = 64, 30


def torch_gradients(x, weights, residual, activation, grad_out):
    """dL/dx at every block input, by torch.autograd, for L = sum(out * grad_out)."""
    f = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda y: y}[activation]
    h = torch.from_numpy(x)
    inputs = []
    for w in weights:
        h = h.detach().requires_grad_() if not inputs else h
        inputs.append(h)
        h.retain_grad()
        y = h @ torch.from_numpy(w).T
        h = h + f(y) if residual else f(y)
    (h * torch.from_numpy(grad_out)).sum().backward()
    return [t.grad.numpy() for t in inputs]


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
@pytest.mark.parametrize("residual", [False, True])
def test_backward_matches_torch_autograd(activation, residual):
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.3, size=(5, 5)) for _ in range(4)]
    x = rng.normal(size=(3, 5))
    grad_out = rng.normal(size=(3, 5))
    _, grads = network_forward_backward(x, weights, residual, activation, grad_out)
    expected = torch_gradients(x, weights, residual, activation, grad_out)
    for ours, theirs in zip(grads, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("residual", [False, True])
def test_backward_matches_finite_differences(residual):
    rng = np.random.default_rng(1)
    weights = [rng.normal(0, 0.5, size=(4, 4)) for _ in range(3)]
    x = rng.normal(size=(2, 4))
    grad_out = rng.normal(size=(2, 4))

    def loss(x):
        out, _ = network_forward_backward(x, weights, residual, "tanh", grad_out)
        return float(np.sum(out * grad_out))

    _, grads = network_forward_backward(x, weights, residual, "tanh", grad_out)
    numerical = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        numerical[index] = (loss(x + step) - loss(x - step)) / 2e-6
    np.testing.assert_allclose(grads[0], numerical, rtol=1e-6, atol=1e-9)


def test_jacobian_singular_values_match_torch_jacobian():
    spectra = jacobian_singular_values(3, 6, True, 0.4, "tanh", seed=0)
    rng = np.random.default_rng(0)  # replay the same draws
    x = torch.from_numpy(rng.normal(size=6))
    weights = [torch.from_numpy(rng.normal(0.0, 0.4, size=(6, 6))) for _ in range(3)]

    def network(x):
        for w in weights:
            x = x + torch.tanh(w @ x)
        return x

    jacobian = torch.autograd.functional.jacobian(network, x).numpy()
    np.testing.assert_allclose(spectra[-1], np.linalg.svd(jacobian, compute_uv=False), rtol=1e-10)


# --- the chapter's claims, with margins ----------------------------------------------


def test_plain_network_gradients_vanish_with_small_weights_and_explode_with_large():
    small = gradient_norms(DEPTH, WIDTH, False, 0.5 / np.sqrt(WIDTH))
    large = gradient_norms(DEPTH, WIDTH, False, 2.0 / np.sqrt(WIDTH))
    assert small[0] < 1e-6 * small[-1]
    assert large[0] > 100 * large[-1]


def test_plain_network_with_unit_scale_keeps_gradients_within_an_order_of_magnitude():
    norms = gradient_norms(DEPTH, WIDTH, False, 1.0 / np.sqrt(WIDTH))
    assert 0.05 < norms[0] / norms[-1] < 10


def test_residual_gradients_never_vanish_but_grow_with_unscaled_branches():
    for multiple in [0.5, 1.0, 2.0]:
        norms = gradient_norms(DEPTH, WIDTH, True, multiple / np.sqrt(WIDTH))
        assert norms.min() > 0.5 * norms[-1]  # the identity path carries the gradient
    unscaled = gradient_norms(DEPTH, WIDTH, True, 1.0 / np.sqrt(WIDTH))
    assert unscaled[0] > 5 * unscaled[-1]  # but I + J compounds: it grows towards the input


def test_residual_with_branches_scaled_by_depth_stays_flat():
    norms = gradient_norms(DEPTH, WIDTH, True, 1.0 / np.sqrt(WIDTH * DEPTH))
    assert 0.5 < norms[0] / norms[-1] < 3


def test_jacobian_spectrum_collapses_for_plain_and_not_for_scaled_residual():
    plain = jacobian_singular_values(DEPTH, WIDTH, False, 1.0 / np.sqrt(WIDTH))[-1]
    scaled = jacobian_singular_values(DEPTH, WIDTH, True, 1.0 / np.sqrt(WIDTH * DEPTH))[-1]
    assert np.median(plain) < 1e-4
    assert 0.5 < np.median(scaled) < 2 and scaled[-1] > 0.1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"depth": 0}, "depth must be a positive integer"),
        ({"width": 2.5}, "width must be a positive integer"),
        ({"weight_std": 0.0}, "weight_std must be positive"),
        ({"activation": "gelu"}, "unknown activation"),
    ],
)
def test_bad_input_is_rejected(kwargs, message):
    arguments = {"depth": 3, "width": 4, "residual": True, "weight_std": 0.1} | kwargs
    with pytest.raises(ValueError, match=message):
        gradient_norms(**arguments)
    with pytest.raises(ValueError, match=message):
        jacobian_singular_values(**arguments)


def test_gradient_terms_add_up_to_the_squared_norm_at_each_block():
    from snippets.residual import gradient_terms

    terms = gradient_terms(12, 16, 1 / 4)
    norms = gradient_norms(12, 16, True, 1 / 4)
    np.testing.assert_allclose(np.sqrt(terms["stream"][:-1]), norms, rtol=1e-12)
    total = terms["incoming"] + terms["branch"] + terms["cross"]
    np.testing.assert_allclose(total, terms["stream"][:-1], rtol=1e-12)
    np.testing.assert_allclose(terms["incoming"], terms["stream"][1:], rtol=1e-12)
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        gradient_terms(0, 16, 0.1)


def test_identity_path_is_a_term_not_a_norm_a_branch_of_minus_x_cancels_it():
    x = np.ones((2, 3))
    _, grads = network_forward_backward(x, [-np.eye(3)], True, "linear", np.ones((2, 3)))
    assert np.array_equal(grads[0], np.zeros((2, 3)))
