"""A pre-norm transformer block in NumPy, forward and backward, with its parts.

Shapes follow PyTorch: activations ``(N, L, D)`` (batch, length, model width),
weights ``(out_features, in_features)``, per-head tensors ``(N, H, L, d_head)``.
A mask is boolean and True where a query may attend to a key, as in
``torch.nn.functional.scaled_dot_product_attention``. Each forward function
returns its output and a ``backward`` closure that maps the gradient of the
output to the gradients of the inputs. The chapter ``docs/transformer.md``
embeds the sections marked ``--8<--``. This module imports only NumPy, so it
can be copied on its own.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "attention",
    "block",
    "block_flops",
    "block_parameters",
    "causal_mask",
    "init_block",
    "kv_cache_bytes",
    "layer_norm",
    "mlp",
    "naive_attention_bytes",
    "padding_mask",
    "plain_attention",
    "rotary",
    "sinusoidal",
    "tiled_attention",
    "tiled_attention_bytes",
    "train_tiny",
]


# --8<-- [start:checks]
def _float(*arrays: np.ndarray) -> None:
    """Raise TypeError unless the arrays are float NumPy arrays of one dtype."""
    for a in arrays:
        if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
            raise TypeError(f"expected float NumPy arrays, got {a!r:.40}")
    if len({a.dtype for a in arrays}) > 1:
        raise TypeError(f"expected one dtype, got {[a.dtype for a in arrays]}")


def _shape(a: np.ndarray, shape: tuple, name: str) -> None:
    """Raise ValueError unless a.shape is shape (None matches any size)."""
    ok = a.ndim == len(shape) and all(
        s is None or s == t for s, t in zip(shape, a.shape, strict=True)
    )
    if not ok:
        raise ValueError(f"expected {name} of shape {shape}, got {a.shape}")


def _heads(d: int, heads: int) -> int:
    """Return d_head = d // heads; raise ValueError unless heads divides d."""
    if not isinstance(heads, int) or heads < 1 or d % heads:
        raise ValueError(
            f"heads must be a positive divisor of {d}, got {heads}"
        )
    return d // heads


def _mask(mask: np.ndarray | None, shape: tuple) -> None:
    """Raise unless mask is None or a bool array that broadcasts to shape."""
    if mask is None:
        return
    if not isinstance(mask, np.ndarray) or mask.dtype != bool:
        raise TypeError(
            f"expected a bool mask (True = attend), got {mask!r:.40}"
        )
    try:
        np.broadcast_shapes(mask.shape, shape)
    except ValueError:
        raise ValueError(
            f"mask {mask.shape} does not broadcast to {shape}"
        ) from None


def _sizes(**sizes: int) -> None:
    """Raise ValueError unless every size is a positive int."""
    for name, n in sizes.items():
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")


# --8<-- [end:checks]


# --8<-- [start:more_checks]
def _check_attention(x, weights, heads, mask) -> int:
    """Check self-attention's arguments; return d_head."""
    _float(x, *weights), _shape(x, (None, None, None), "x (N, L, D)")
    for w in weights:
        _shape(w, (x.shape[2],) * 2, "each weight (D, D)")
    dh = _heads(x.shape[2], heads)
    _mask(mask, (x.shape[0], heads, x.shape[1], x.shape[1]))
    return dh


def _check_rotary(x: np.ndarray, positions: np.ndarray) -> None:
    """Raise unless x is (..., L, d_head), d_head even, positions (L,)."""
    _float(x), _shape(np.asarray(positions), (x.shape[-2],), "positions (L,)")
    _even(x.shape[-1])


def _even(d: int) -> None:
    """Raise ValueError unless d is even (rotary pairs up coordinates)."""
    if d % 2:
        raise ValueError(f"rotary embeddings need an even d_head, got {d}")


# --8<-- [end:more_checks]


# --8<-- [start:layer_norm]
def layer_norm(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, Callable]:
    """LayerNorm over the last axis of x (..., D); returns y and backward."""
    _float(x, gamma, beta), _shape(gamma, x.shape[-1:], "gamma (D,)")
    mu = x.mean(-1, keepdims=True)
    rstd = 1 / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps)
    xhat = (x - mu) * rstd  # centred (a projection), then scaled to a sphere
    y = xhat * gamma + beta

    def backward(dy):
        d = x.shape[-1]
        dgamma = (dy * xhat).reshape(-1, d).sum(0)
        dbeta = dy.reshape(-1, d).sum(0)
        g = dy * gamma
        gbar = g.mean(-1, keepdims=True)
        dx = rstd * (g - gbar - xhat * (g * xhat).mean(-1, keepdims=True))
        return dx, dgamma, dbeta

    return y, backward


# --8<-- [end:layer_norm]


# --8<-- [start:attention]
def softmax(s: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, with the maximum subtracted first."""
    e = np.exp(s - s.max(-1, keepdims=True, initial=-np.inf))
    return e / e.sum(-1, keepdims=True)


def attention(
    x: np.ndarray,
    wq: np.ndarray,
    wk: np.ndarray,
    wv: np.ndarray,
    wo: np.ndarray,
    heads: int,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, Callable]:
    """Self-attention of x (N, L, D), weights (D, D); returns y, backward."""
    dh = _check_attention(x, (wq, wk, wv, wo), heads, mask)
    d = x.shape[2]
    # split each (D, D) weight into heads: rows h*dh..(h+1)*dh are head h's
    wq_h, wk_h, wv_h = (w.reshape(heads, dh, d) for w in (wq, wk, wv))
    wo_h = wo.reshape(d, heads, dh)  # columns of W_O, grouped by head
    q = np.einsum("nld,hed->nhle", x, wq_h)  # (N, H, L, dh)
    k = np.einsum("nld,hed->nhle", x, wk_h)
    v = np.einsum("nld,hed->nhle", x, wv_h)
    s = np.einsum("nhie,nhje->nhij", q, k) / dh**0.5  # (N, H, L, L)
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    p = softmax(s)
    o = np.einsum("nhij,nhje->nhie", p, v)  # (N, H, L, dh)
    y = np.einsum("nhie,dhe->nid", o, wo_h)  # the sum over heads

    def backward(dy):
        dwo = np.einsum("nhie,nid->dhe", o, dy).reshape(d, d)
        do = np.einsum("nid,dhe->nhie", dy, wo_h)
        dp = np.einsum("nhie,nhje->nhij", do, v)
        dv = np.einsum("nhij,nhie->nhje", p, do)
        ds = p * (dp - (dp * p).sum(-1, keepdims=True)) / dh**0.5
        dq = np.einsum("nhij,nhje->nhie", ds, k)
        dk = np.einsum("nhij,nhie->nhje", ds, q)
        dws = [
            np.einsum("nhle,nld->hed", g, x).reshape(d, d)
            for g in (dq, dk, dv)
        ]
        dx = sum(
            np.einsum("nhle,hed->nld", g, w)
            for g, w in ((dq, wq_h), (dk, wk_h), (dv, wv_h))
        )
        return dx, *dws, dwo

    return y, backward


# --8<-- [end:attention]


# --8<-- [start:block]
def mlp(
    x: np.ndarray, w1: np.ndarray, w2: np.ndarray
) -> tuple[np.ndarray, Callable]:
    """ReLU MLP of x (N, L, D), w1 (F, D), w2 (D, F); returns y, backward."""
    _float(x, w1, w2), _shape(w2, w1.shape[::-1], "w2 (D, F)")
    h = np.einsum("nld,fd->nlf", x, w1)
    a = np.maximum(h, 0)
    y = np.einsum("nlf,df->nld", a, w2)

    def backward(dy):
        dw2 = np.einsum("nld,nlf->df", dy, a)
        dh = np.einsum("nld,df->nlf", dy, w2) * (h > 0)
        return (
            np.einsum("nlf,fd->nld", dh, w1),
            np.einsum("nlf,nld->fd", dh, x),
            dw2,
        )

    return y, backward


def block(
    x: np.ndarray, p: dict, heads: int, mask: np.ndarray | None = None
) -> tuple[np.ndarray, Callable]:
    """Pre-norm block x + Attn(LN(x)), then + MLP(LN(.)); x (N, L, D)."""
    h, ln1_back = layer_norm(x, p["g1"], p["b1"])
    a, attn_back = attention(
        h, p["wq"], p["wk"], p["wv"], p["wo"], heads, mask
    )
    x1 = x + a  # the residual stream after attention
    h2, ln2_back = layer_norm(x1, p["g2"], p["b2"])
    m, mlp_back = mlp(h2, p["w1"], p["w2"])
    y = x1 + m

    def backward(dy):
        g = {}
        dh2, g["w1"], g["w2"] = mlp_back(dy)
        dx1_ln, g["g2"], g["b2"] = ln2_back(dh2)
        dx1 = dy + dx1_ln  # the residual adds the two paths' gradients
        dh, g["wq"], g["wk"], g["wv"], g["wo"] = attn_back(dx1)
        dx_ln, g["g1"], g["b1"] = ln1_back(dh)
        return dx1 + dx_ln, g

    return y, backward


# --8<-- [end:block]


# --8<-- [start:init]
def init_block(
    d: int, d_ff: int, seed: int = 0, dtype: type = np.float64
) -> dict:
    """Random parameters of one block: weights (out, in), std 1/sqrt(in)."""
    _sizes(d=d, d_ff=d_ff)
    rng = np.random.default_rng(seed)

    def w(out: int, inp: int) -> np.ndarray:
        return (rng.normal(size=(out, inp)) / np.sqrt(inp)).astype(dtype)

    p = {name: w(d, d) for name in ("wq", "wk", "wv", "wo")}
    p["w1"], p["w2"] = w(d_ff, d), w(d, d_ff)
    for name in ("g1", "g2"):
        p[name] = (1 + 0.1 * rng.normal(size=d)).astype(dtype)
    for name in ("b1", "b2"):
        p[name] = (0.1 * rng.normal(size=d)).astype(dtype)
    return p


# --8<-- [end:init]


# --8<-- [start:masks]
def causal_mask(length: int) -> np.ndarray:
    """(L, L) bool mask, True where query i may attend to key j (j <= i)."""
    return np.tril(np.ones((length, length), dtype=bool))


def padding_mask(lengths: np.ndarray, length: int) -> np.ndarray:
    """(N, 1, 1, L) bool mask, True where key j < lengths[n] is a real token."""
    _shape(np.asarray(lengths), (None,), "lengths (N,)")
    keep = np.arange(length) < np.asarray(lengths)[:, None]  # (N, L)
    return keep[:, None, None, :]  # broadcasts over heads and queries


# --8<-- [end:masks]


# --8<-- [start:rotary]
def rotary(
    x: np.ndarray, positions: np.ndarray, base: float = 10000.0
) -> np.ndarray:
    """Rotate pairs (2i, 2i+1) of x (..., L, d_head) by position * theta_i."""
    _check_rotary(x, positions)
    d = x.shape[-1]
    theta = base ** (-np.arange(0, d, 2) / d)  # (d/2,) one frequency a pair
    angle = np.asarray(positions)[:, None] * theta  # (L, d/2)
    cos, sin = np.cos(angle).astype(x.dtype), np.sin(angle).astype(x.dtype)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = x0 * cos - x1 * sin  # each pair: a 2x2 rotation
    out[..., 1::2] = x0 * sin + x1 * cos
    return out


def sinusoidal(length: int, d: int, base: float = 10000.0) -> np.ndarray:
    """(L, d) sinusoidal embeddings: sin, cos of position * theta_i."""
    _sizes(length=length, d=d), _even(d)
    theta = base ** (-np.arange(0, d, 2) / d)
    angle = np.arange(length)[:, None] * theta
    pe = np.empty((length, d))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return pe


# --8<-- [end:rotary]


# --8<-- [start:tiled]
def plain_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """softmax(q k^T / sqrt(d)) v for q, k, v (L, d), with all (L, L) scores."""
    _float(q, k, v), _shape(k, q.shape, "k"), _shape(v, q.shape, "v")
    return softmax(q @ k.T / q.shape[1] ** 0.5) @ v


def tiled_attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, tile: int = 16
) -> np.ndarray:
    """The same attention, one (tile, tile) block of scores at a time."""
    _float(q, k, v), _shape(k, q.shape, "k"), _shape(v, q.shape, "v")
    length, d = q.shape
    out = np.empty_like(q)
    for i in range(0, length, tile):
        qi = q[i : i + tile] / d**0.5
        m = np.full(len(qi), -np.inf, dtype=q.dtype)  # running row maximum
        total = np.zeros(len(qi), dtype=q.dtype)  # running sum of exp
        acc = np.zeros_like(qi)  # running sum of exp * v
        for j in range(0, length, tile):
            s = qi @ k[j : j + tile].T  # (tile, tile), the only scores held
            m_new = np.maximum(m, s.max(1))
            rescale = np.exp(m - m_new)  # earlier terms, to the new maximum
            e = np.exp(s - m_new[:, None])
            total = total * rescale + e.sum(1)
            acc = acc * rescale[:, None] + e @ v[j : j + tile]
            m = m_new
        out[i : i + tile] = acc / total[:, None]
    return out


# --8<-- [end:tiled]


# --8<-- [start:counts]
def block_parameters(d: int, d_ff: int) -> int:
    """Weights of one block: 4 D^2 (attention), 2 D F (MLP), 4 D (norms)."""
    _sizes(d=d, d_ff=d_ff)
    return 4 * d * d + 2 * d * d_ff + 4 * d


def block_flops(length: int, d: int, d_ff: int) -> dict:
    """Forward FLOPs of one block on one sequence (a multiply-add is 2)."""
    _sizes(length=length, d=d, d_ff=d_ff)
    return {
        "projections": 2 * length * 4 * d * d,  # Q, K, V, O
        "attention": 2 * 2 * length * length * d,  # scores, then P @ V
        "mlp": 2 * 2 * length * d * d_ff,
    }


# --8<-- [end:counts]


# --8<-- [start:bytes]
def kv_cache_bytes(
    layers: int,
    kv_heads: int,
    d_head: int,
    tokens: int,
    itemsize: int = 2,
    batch: int = 1,
) -> int:
    """Bytes of the keys and values a decoder keeps for tokens of context."""
    _sizes(layers=layers, kv_heads=kv_heads, d_head=d_head, tokens=tokens)
    return 2 * layers * kv_heads * d_head * itemsize * tokens * batch


def naive_attention_bytes(length: int, d: int, itemsize: int = 4) -> int:
    """Memory traffic of plain attention: S and P (L, L) go out and back."""
    _sizes(length=length, d=d, itemsize=itemsize)
    qkv_o = 4 * length * d  # read Q, K, V, write O
    scores = 4 * length * length  # write S, read S, write P, read P
    return (qkv_o + scores) * itemsize


def tiled_attention_bytes(
    length: int, d: int, tile: int, itemsize: int = 4
) -> int:
    """Memory traffic of tiled attention: K, V read once per query tile."""
    _sizes(length=length, d=d, tile=tile, itemsize=itemsize)
    q_tiles = -(-length // tile)
    return (2 * length * d + q_tiles * 2 * length * d) * itemsize


# --8<-- [end:bytes]


# --8<-- [start:train]
def train_tiny(
    steps: int = 300,
    seed: int = 0,
    d: int = 32,
    heads: int = 2,
    vocab: int = 16,
    length: int = 8,
    lr: float = 0.02,
) -> tuple[dict, float]:
    """Train one causal attention layer to copy the rare token to the end."""
    _sizes(steps=steps, d=d, vocab=vocab, length=length)
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(vocab, d)) / np.sqrt(d)  # fixed token embeddings
    names = ("wq", "wk", "wv", "wo")
    p = {n: rng.normal(size=(d, d)) / np.sqrt(d) for n in names}
    adam = {n: (np.zeros((d, d)), np.zeros((d, d))) for n in p}
    mask, rows = causal_mask(length), np.arange(64)
    for step in range(1, steps + 1):
        tokens = rng.integers(0, vocab // 2, size=(64, length))  # common
        rare = rng.integers(vocab // 2, vocab, size=64)  # one rare token
        tokens[rows, rng.integers(0, length - 1, size=64)] = rare
        x = emb[tokens]  # (64, L, D)
        y, back = attention(x, *(p[n] for n in names), heads, mask)
        logits = (x + y)[:, -1] @ emb.T  # read the last place, (64, vocab)
        prob = softmax(logits)
        loss = -np.log(prob[rows, rare]).mean()
        dlogits = prob.copy()
        dlogits[rows, rare] -= 1
        dy = np.zeros_like(y)
        dy[:, -1] = dlogits @ emb / 64
        grads = dict(zip(names, back(dy)[1:], strict=True))
        for n, g in grads.items():  # Adam, with its usual constants
            m, s = adam[n]
            m[:] = 0.9 * m + 0.1 * g
            s[:] = 0.999 * s + 0.001 * g * g
            mhat, shat = m / (1 - 0.9**step), s / (1 - 0.999**step)
            p[n] -= lr * mhat / (np.sqrt(shat) + 1e-8)
    return p, float(loss)


# --8<-- [end:train]
