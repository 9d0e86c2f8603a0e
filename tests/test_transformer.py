"""snippets/transformer.py against PyTorch, its backward passes against finite
differences and autograd, and its counts against direct counting.

Tolerances: 1e-10 in float64 and 2e-4 in float32 against torch (absolute, on
values of order one after normalization; float32 attention sums L terms and
LayerNorm divides by a standard deviation, so a few hundred units of its last
place); finite differences in float64 with a central step of 1e-6, to 1e-6
relative. Rotary's relative-position property in float64 to 1e-9 relative to
|q| |k| (angles up to 1e4 radians lose digits in cos and sin).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.transformer import (
    attention,
    block,
    block_flops,
    block_parameters,
    causal_mask,
    init_block,
    kv_cache_bytes,
    layer_norm,
    mlp,
    naive_attention_bytes,
    padding_mask,
    plain_attention,
    rotary,
    sinusoidal,
    tiled_attention,
    tiled_attention_bytes,
    train_tiny,
)

TOL = {np.float64: 1e-10, np.float32: 2e-4}
TORCH = {np.float64: torch.float64, np.float32: torch.float32}


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


# --- a PyTorch twin of the block, written with torch's own layers --------------


def torch_block(x, p, heads, mask=None):
    """The same pre-norm block in torch.nn.functional, SDPA for attention."""
    n, length, d = x.shape
    dh = d // heads

    def split(z):
        return z.view(n, length, heads, dh).transpose(1, 2)

    h = F.layer_norm(x, (d,), p["g1"], p["b1"], eps=1e-5)
    q, k, v = (split(h @ p[w].T) for w in ("wq", "wk", "wv"))
    o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    x1 = x + o.transpose(1, 2).reshape(n, length, d) @ p["wo"].T
    h2 = F.layer_norm(x1, (d,), p["g2"], p["b2"], eps=1e-5)
    return x1 + torch.relu(h2 @ p["w1"].T) @ p["w2"].T


def compare_block(n, length, d, heads, d_ff, causal, dtype, seed=0):
    p = init_block(d, d_ff, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(n, length, d)).astype(dtype)
    dy = rng.normal(size=(n, length, d)).astype(dtype)
    mask = causal_mask(length) if causal else None
    y, back = block(x, p, heads, mask)
    dx, grads = back(dy)
    tx = t(x).requires_grad_()
    tp = {k: t(v).requires_grad_() for k, v in p.items()}
    ty = torch_block(tx, tp, heads, None if mask is None else t(mask))
    ty.backward(t(dy))
    tol = TOL[dtype]
    assert y.dtype == dtype and dx.dtype == dtype
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=tol, rtol=tol)
    np.testing.assert_allclose(dx, tx.grad.numpy(), atol=tol * 10, rtol=tol)
    for k in p:
        assert grads[k].shape == p[k].shape
        np.testing.assert_allclose(
            grads[k], tp[k].grad.numpy(), atol=tol * 10 * length * n, rtol=tol, err_msg=k
        )


def test_block_matches_torch_float64():
    compare_block(2, 5, 8, 2, 16, causal=True, dtype=np.float64)
    compare_block(2, 5, 8, 2, 16, causal=False, dtype=np.float64)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 2),
    length=st.integers(1, 6),
    heads=st.integers(1, 3),
    dh=st.integers(1, 4),
    causal=st.booleans(),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 100),
)
def test_block_matches_torch_over_shapes(n, length, heads, dh, causal, dtype, seed):
    """Length 1, one head and d_head 1 included."""
    compare_block(n, length, heads * dh, heads, 3, causal, dtype, seed)


def test_block_matches_transformer_encoder_layer():
    d, heads, d_ff = 8, 2, 16
    p = init_block(d, d_ff, seed=3)
    p["b1"][:] = 0  # bias=False also removes LayerNorm's shift
    p["b2"][:] = 0
    layer = torch.nn.TransformerEncoderLayer(
        d,
        heads,
        d_ff,
        dropout=0.0,
        batch_first=True,
        norm_first=True,
        bias=False,
        dtype=torch.float64,
    )
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(t(np.concatenate([p["wq"], p["wk"], p["wv"]])))
        layer.self_attn.out_proj.weight.copy_(t(p["wo"]))
        layer.linear1.weight.copy_(t(p["w1"]))
        layer.linear2.weight.copy_(t(p["w2"]))
        layer.norm1.weight.copy_(t(p["g1"]))
        layer.norm2.weight.copy_(t(p["g2"]))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, d))
    mask = causal_mask(5)
    y, back = block(x, p, heads, mask)
    tx = t(x).requires_grad_()
    ty = layer(tx, src_mask=t(~mask))  # torch: True = may NOT attend
    ty.sum().backward()
    dx, grads = back(np.ones_like(y))
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(dx, tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(grads["w1"], layer.linear1.weight.grad.numpy(), atol=1e-9)


# --- finite differences -------------------------------------------------------


def numerical_grad(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        hi = f()
        a[i] = old - eps
        lo = f()
        a[i] = old
        g[i] = (hi - lo) / (2 * eps)
    return g


def test_block_backward_by_finite_differences():
    rng = np.random.default_rng(0)
    p = init_block(6, 10, seed=1)
    x = rng.normal(size=(2, 4, 6))
    dy = rng.normal(size=x.shape)
    mask = causal_mask(4)
    _, back = block(x, p, 3, mask)
    dx, grads = back(dy)

    def loss():
        return float((block(x, p, 3, mask)[0] * dy).sum())

    np.testing.assert_allclose(dx, numerical_grad(loss, x), rtol=1e-6, atol=1e-8)
    for k in p:
        np.testing.assert_allclose(
            grads[k], numerical_grad(loss, p[k]), rtol=1e-6, atol=1e-8, err_msg=k
        )


def test_parts_backward_by_finite_differences():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 4))
    dy = rng.normal(size=x.shape)
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    _, back = layer_norm(x, gamma, beta)
    got = back(dy)
    for a, g in zip((x, gamma, beta), got, strict=True):
        num = numerical_grad(lambda: float((layer_norm(x, gamma, beta)[0] * dy).sum()), a)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)
    w1, w2 = rng.normal(size=(5, 4)), rng.normal(size=(4, 5))
    _, back = mlp(x, w1, w2)
    got = back(dy)
    for a, g in zip((x, w1, w2), got, strict=True):
        num = numerical_grad(lambda: float((mlp(x, w1, w2)[0] * dy).sum()), a)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)
    ws = [rng.normal(size=(4, 4)) for _ in range(4)]
    pad = np.array([True, True, False])[None, None, None, :]
    _, back = attention(x, *ws, 2, pad)
    got = back(dy)
    for a, g in zip((x, *ws), got, strict=True):
        num = numerical_grad(lambda: float((attention(x, *ws, 2, pad)[0] * dy).sum()), a)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


# --- attention against torch ----------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_attention_matches_multihead_attention_with_padding(dtype):
    rng = np.random.default_rng(2)
    d, heads = 8, 4
    ws = [(rng.normal(size=(d, d)) / np.sqrt(d)).astype(dtype) for _ in range(4)]
    x = rng.normal(size=(3, 5, d)).astype(dtype)
    keep = np.ones((3, 5), dtype=bool)
    keep[0, 3:] = False
    keep[2, 1:] = False
    y, back = attention(x, *ws, heads, keep[:, None, None, :])
    mha = torch.nn.MultiheadAttention(d, heads, bias=False, batch_first=True, dtype=TORCH[dtype])
    with torch.no_grad():
        mha.in_proj_weight.copy_(t(np.concatenate(ws[:3])))
        mha.out_proj.weight.copy_(t(ws[3]))
    tx = t(x).requires_grad_()
    ty = mha(tx, tx, tx, key_padding_mask=t(~keep), need_weights=False)[0]
    ty.backward(t(np.ones_like(y)))
    dx = back(np.ones_like(y))[0]
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=TOL[dtype])
    np.testing.assert_allclose(dx, tx.grad.numpy(), atol=TOL[dtype] * 10)


def test_heads_are_a_sum_of_per_head_maps():
    rng = np.random.default_rng(3)
    d, heads = 6, 3
    ws = [rng.normal(size=(d, d)) for _ in range(4)]
    x = rng.normal(size=(1, 4, d))
    y, _ = attention(x, *ws, heads)
    total = 0
    for h in range(heads):  # keep only head h's columns of W_O
        wo_h = np.zeros_like(ws[3])
        wo_h[:, 2 * h : 2 * h + 2] = ws[3][:, 2 * h : 2 * h + 2]
        total = total + attention(x, *ws[:3], wo_h, heads)[0]
    np.testing.assert_allclose(y, total, atol=1e-12)


def test_fully_masked_query_gives_nan():
    x = np.ones((1, 2, 2))
    ws = [np.eye(2)] * 4
    mask = np.array([[False, False], [True, True]])
    with np.errstate(invalid="ignore"):
        y, _ = attention(x, *ws, 1, mask)
    assert np.isnan(y[0, 0]).all() and np.isfinite(y[0, 1]).all()


# --- rotary ---------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    half=st.integers(1, 8),
    m=st.integers(0, 10_000),
    n=st.integers(0, 10_000),
    shift=st.integers(-5_000, 5_000),
    seed=st.integers(0, 1000),
)
def test_rotary_scores_depend_only_on_the_offset(half, m, n, shift, seed):
    rng = np.random.default_rng(seed)
    q, k = rng.normal(size=(2, 1, 2 * half))
    m2, n2 = m + shift, n + shift
    if min(m2, n2) < 0:
        m2, n2 = m2 - min(m2, n2), n2 - min(m2, n2)
    a = rotary(q, np.array([m])) @ rotary(k, np.array([n])).T
    b = rotary(q, np.array([m2])) @ rotary(k, np.array([n2])).T
    scale = np.linalg.norm(q) * np.linalg.norm(k)
    np.testing.assert_allclose(a, b, atol=1e-9 * scale)
    # and it preserves norms: each pair is rotated
    np.testing.assert_allclose(
        np.linalg.norm(rotary(q, np.array([m]))), np.linalg.norm(q), rtol=1e-12
    )


def test_rotary_matches_complex_multiplication_and_dtype():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 5, 8)).astype(np.float32)
    pos = np.arange(5)
    got = rotary(x, pos)
    assert got.dtype == np.float32 and got.shape == x.shape
    z = x[..., 0::2].astype(np.float64) + 1j * x[..., 1::2]
    theta = 10000.0 ** (-np.arange(0, 8, 2) / 8)
    z = z * np.exp(1j * pos[:, None] * theta)
    np.testing.assert_allclose(got[..., 0::2], z.real, atol=1e-5)
    np.testing.assert_allclose(got[..., 1::2], z.imag, atol=1e-5)
    np.testing.assert_array_equal(rotary(x, np.zeros(5, dtype=int)), x)


def test_sinusoidal_matches_the_formula():
    pe = sinusoidal(7, 6)
    assert pe.shape == (7, 6)
    np.testing.assert_allclose(pe[3, 2], np.sin(3 / 10000 ** (2 / 6)))
    np.testing.assert_allclose(pe[3, 3], np.cos(3 / 10000 ** (2 / 6)))


# --- tiled attention --------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    length=st.integers(0, 40),
    d=st.integers(1, 8),
    tile=st.integers(1, 17),
    dtype=st.sampled_from([np.float64, np.float32]),
    scale=st.sampled_from([1e-3, 1.0, 30.0]),
    seed=st.integers(0, 100),
)
def test_tiled_attention_matches_plain_and_sdpa(length, d, tile, dtype, scale, seed):
    rng = np.random.default_rng(seed)
    q, k, v = (scale * rng.normal(size=(3, length, d))).astype(dtype)
    v = v / scale
    plain = plain_attention(q, k, v)
    tiled = tiled_attention(q, k, v, tile)
    assert tiled.dtype == dtype
    np.testing.assert_allclose(tiled, plain, atol=TOL[dtype] * 10, rtol=TOL[dtype])
    ref = F.scaled_dot_product_attention(t(q)[None], t(k)[None], t(v)[None])[0]
    np.testing.assert_allclose(plain, ref.numpy(), atol=TOL[dtype] * 10, rtol=TOL[dtype])


def test_tiled_attention_survives_logits_that_overflow_exp():
    q = np.full((4, 2), 100.0)
    k = np.full((4, 2), 100.0)
    v = np.arange(8.0).reshape(4, 2)
    out = tiled_attention(q, k, v, 3)
    np.testing.assert_allclose(out, np.tile(v.mean(0), (4, 1)))


def counted_traffic(length, d, tile):
    """Elements moved by tiled attention, counted along its loops."""
    moved = 0
    for i in range(0, length, tile):
        rows = min(tile, length - i)
        moved += rows * d  # read the query tile
        for j in range(0, length, tile):
            moved += 2 * min(tile, length - j) * d  # read a K tile and a V tile
        moved += rows * d  # write the output tile
    return moved


@pytest.mark.parametrize("length,d,tile", [(1, 1, 1), (64, 16, 16), (100, 8, 32)])
def test_byte_counts(length, d, tile):
    assert tiled_attention_bytes(length, d, tile, 4) == 4 * counted_traffic(length, d, tile)
    assert naive_attention_bytes(length, d, 2) == 2 * (4 * length * d + 4 * length**2)


def test_parameter_and_flop_counts_match_torch_and_formulas():
    layer = torch.nn.TransformerEncoderLayer(512, 8, 2048, batch_first=True, bias=False)
    n_torch = sum(p.numel() for p in layer.parameters())
    assert block_parameters(512, 2048) == n_torch + 2 * 512  # + the two LN shifts
    f = block_flops(1024, 512, 2048)
    weights = block_parameters(512, 2048) - 4 * 512
    assert f["projections"] + f["mlp"] == 2 * weights * 1024
    assert f["attention"] == 4 * 1024**2 * 512
    assert kv_cache_bytes(32, 32, 128, 1) == 512 * 1024
    assert kv_cache_bytes(32, 8, 128, 4096, batch=2) == 2 * 4096 * 128 * 1024


def test_tiny_model_trains():
    p, loss = train_tiny(steps=200)
    assert loss < 0.05
    assert set(p) == {"wq", "wk", "wv", "wo"}


# --- bad input ------------------------------------------------------------------------


def test_bad_input_is_rejected():
    x = np.zeros((1, 3, 6))
    ws = [np.eye(6)] * 4
    with pytest.raises(ValueError, match="divisor"):
        attention(x, *ws, 4)
    with pytest.raises(ValueError, match="broadcast"):
        attention(x, *ws, 2, causal_mask(4))
    with pytest.raises(TypeError, match="bool"):
        attention(x, *ws, 2, causal_mask(3).astype(float))
    with pytest.raises(ValueError, match=r"\(D, D\)"):
        attention(x, np.eye(5), *ws[1:], 2)
    with pytest.raises(ValueError, match="N, L, D"):
        attention(np.zeros((3, 6)), *ws, 2)
    with pytest.raises(TypeError, match="float"):
        attention(x.astype(int), *ws, 2)
    with pytest.raises(TypeError, match="one dtype"):
        attention(x.astype(np.float32), *ws, 2)
    with pytest.raises(ValueError, match="even"):
        rotary(np.zeros((3, 5)), np.arange(3))
    with pytest.raises(ValueError, match="positions"):
        rotary(np.zeros((3, 4)), np.arange(2))
    with pytest.raises(ValueError, match="even"):
        sinusoidal(3, 5)
    with pytest.raises(ValueError, match="k"):
        tiled_attention(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros((3, 2)))
    with pytest.raises(TypeError, match="float"):
        layer_norm(x, [1.0] * 6, np.zeros(6))
    with pytest.raises(TypeError):
        block(x.astype(np.float32), init_block(6, 4), 2)


# --- masks, sizes -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_padding_and_causal_masks_match_torch_polarities(dtype):
    rng = np.random.default_rng(5)
    n, length, d, heads = 3, 6, 8, 2
    ws = [(rng.normal(size=(d, d)) / np.sqrt(d)).astype(dtype) for _ in range(4)]
    x = rng.normal(size=(n, length, d)).astype(dtype)
    lengths = np.array([6, 1, 3])
    keep = padding_mask(lengths, length)
    assert keep.shape == (n, 1, 1, length) and keep.dtype == bool
    assert keep[:, 0, 0].sum(1).tolist() == lengths.tolist()
    causal = causal_mask(length)
    y, _ = attention(x, *ws, heads, causal & keep)
    mha = torch.nn.MultiheadAttention(d, heads, bias=False, batch_first=True, dtype=TORCH[dtype])
    with torch.no_grad():
        mha.in_proj_weight.copy_(t(np.concatenate(ws[:3])))
        mha.out_proj.weight.copy_(t(ws[3]))
        ty = mha(
            t(x),
            t(x),
            t(x),
            attn_mask=t(~causal),
            key_padding_mask=t(~keep[:, 0, 0]),
            need_weights=False,
        )[0]
    np.testing.assert_allclose(y, ty.numpy(), atol=TOL[dtype])
    # SDPA reads the same bool mask with the opposite polarity: True = attend
    eye = np.eye(d, dtype=dtype)
    ours = attention(x, eye, eye, eye, eye, 1, causal & keep)[0]
    ref = F.scaled_dot_product_attention(t(x), t(x), t(x), attn_mask=t((causal & keep)[:, 0]))
    np.testing.assert_allclose(ours, ref.numpy(), atol=TOL[dtype])


def test_padding_mask_of_length_zero_and_one():
    assert padding_mask(np.array([0, 1]), 1)[:, 0, 0].tolist() == [[False], [True]]
    assert padding_mask(np.array([2]), 0).shape == (1, 1, 1, 0)


def test_init_block_shapes_and_dtype():
    p = init_block(6, 10, dtype=np.float32)
    assert {k: v.shape for k, v in p.items()} == {
        "wq": (6, 6),
        "wk": (6, 6),
        "wv": (6, 6),
        "wo": (6, 6),
        "w1": (10, 6),
        "w2": (6, 10),
        "g1": (6,),
        "g2": (6,),
        "b1": (6,),
        "b2": (6,),
    }
    assert all(v.dtype == np.float32 for v in p.values())


@pytest.mark.parametrize(
    "call",
    [
        lambda: block_parameters(0, 4),
        lambda: block_flops(4, 2.5, 4),
        lambda: kv_cache_bytes(32, 8, 128, tokens=-1),
        lambda: naive_attention_bytes(True, 4),
        lambda: tiled_attention_bytes(8, 4, 0),
        lambda: init_block(0, 4),
        lambda: sinusoidal(0, 4),
        lambda: train_tiny(steps=0),
    ],
)
def test_counts_reject_sizes_that_are_not_positive_ints(call):
    with pytest.raises(ValueError, match="positive int"):
        call()


def test_shape_errors_name_what_was_expected():
    x = np.zeros((1, 3, 4))
    with pytest.raises(ValueError, match=r"gamma \(D,\)"):
        layer_norm(x, np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"w2 \(D, F\)"):
        mlp(x, np.zeros((5, 4)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"lengths \(N,\)"):
        padding_mask(np.zeros((2, 2), dtype=int), 3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_empty_sequence_gives_empty_outputs_and_zero_weight_gradients(dtype):
    p = init_block(4, 8, dtype=dtype)
    x = np.zeros((2, 0, 4), dtype=dtype)
    y, back = block(x, p, 2, causal_mask(0))
    dx, grads = back(y)
    assert y.shape == dx.shape == (2, 0, 4) and y.dtype == dtype
    assert all(np.all(g == 0) and g.shape == p[k].shape for k, g in grads.items())
    ty = torch_block(t(x), {k: t(v) for k, v in p.items()}, 2)
    assert tuple(ty.shape) == y.shape
