"""snippets/einsum.py against np.einsum, np.einsum_path and PyTorch's attention.

Tolerances: einsum differs from np.einsum only in the order of its sums, so each
result lies within 16 roundings (the dtype's eps) of the sum of the magnitudes of
its terms, in float64, float32 and float16 alike. Attention: 1e-10 (relative and
absolute) in float64, 1e-5 in float32.
"""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import snippets.einsum as einsum_module
from snippets.einsum import attention, contraction_path, einsum

LABELS = "abcdeAB"


@st.composite
def einsum_cases(draw):
    """Valid subscripts with 1 to 4 operands, sizes 1 to 5, '...' and repeated labels,
    in float64 or float32."""
    sizes = {label: draw(st.integers(1, 5)) for label in LABELS}
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    ellipsis_shape = draw(st.lists(st.integers(1, 3), max_size=2))
    terms, shapes = [], []
    for _ in range(draw(st.integers(1, 4))):
        labels = draw(st.lists(st.sampled_from(LABELS), max_size=3))  # repeats allowed
        shape = []
        for label in labels:
            # A label that occurs once in this operand may broadcast from size 1.
            once = labels.count(label) == 1
            shape.append(
                1 if once and draw(st.booleans()) and draw(st.booleans()) else sizes[label]
            )
        term = "".join(labels)
        if draw(st.booleans()):
            width = draw(st.integers(0, len(ellipsis_shape)))
            dims = ellipsis_shape[len(ellipsis_shape) - width :]
            dims = [1 if draw(st.booleans()) and draw(st.booleans()) else d for d in dims]
            at = draw(st.integers(0, len(labels)))
            term = term[:at] + "..." + term[at:]
            shape = shape[:at] + dims + shape[at:]
        terms.append(term)
        shapes.append(tuple(shape))
    subscripts = ",".join(terms)
    if draw(st.booleans()):  # explicit output
        used = sorted({c for t in terms for c in t if c != "."})
        out = draw(st.permutations(used)) if used else []
        out = "".join(out[: draw(st.integers(0, len(out)))])
        if "..." in subscripts:
            at = draw(st.integers(0, len(out)))
            out = out[:at] + "..." + out[at:]
        subscripts += "->" + out
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return subscripts, [rng.normal(size=shape).astype(dtype) for shape in shapes]


def assert_close_to_numpy(ours, expected, subscripts, operands):
    """Equal shape and dtype; values within 16 roundings of the terms' magnitudes."""
    assert np.shape(ours) == np.shape(expected) and ours.dtype == expected.dtype
    if expected.dtype.kind in "bi":
        np.testing.assert_array_equal(ours, expected)  # integers and booleans: exact
        return
    magnitude = np.einsum(subscripts, *(np.abs(a.astype(np.float64)) for a in operands))
    eps = float(np.finfo(expected.dtype).eps)
    assert np.all(np.abs(ours.astype(np.float64) - expected) <= 16 * eps * magnitude + 1e-300)


@settings(max_examples=400, deadline=None)
@given(einsum_cases())
def test_einsum_matches_numpy(case):
    subscripts, operands = case
    try:
        expected = np.einsum(subscripts, *operands)
    except ValueError as error:
        # The generator can draw an explicit output that drops a '...' that covers
        # dimensions; both must refuse it.
        assert "ellipsis" in str(error)
        with pytest.raises(ValueError, match=r"\.\.\."):
            einsum(subscripts, *operands)
        return
    assert_close_to_numpy(einsum(subscripts, *operands), expected, subscripts, operands)


@st.composite
def edge_einsum_cases(draw):
    """Subscripts with repeated labels, and operands whose every axis independently
    takes its label's size, 1 or 0: cases NumPy accepts and cases it refuses. The
    operands are float64, float32, float16, int64 or bool, some of them non-contiguous."""
    sizes = {label: draw(st.integers(0, 4)) for label in "abcd"}
    dtype = draw(st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.bool_]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    terms, operands, unequal_diagonal = [], [], False
    for _ in range(draw(st.integers(1, 3))):
        labels = draw(st.lists(st.sampled_from("abcd"), max_size=4))
        shape = [draw(st.sampled_from([sizes[x], sizes[x], 1, 0])) for x in labels]
        unequal_diagonal |= any(shape[m] != shape[labels.index(x)] for m, x in enumerate(labels))
        term = "".join(labels)
        if draw(st.booleans()):
            at = draw(st.integers(0, len(labels)))
            dims = draw(st.lists(st.integers(0, 2), max_size=2))
            term, shape = term[:at] + "..." + term[at:], shape[:at] + dims + shape[at:]
        layout = draw(st.sampled_from(["contiguous", "transposed", "strided"]))
        if layout == "transposed":  # a view of an array stored with the axes reversed
            a = rng.normal(size=shape[::-1]).T
        elif layout == "strided" and shape:  # every other entry of the last axis
            a = rng.normal(size=(*shape[:-1], 2 * shape[-1]))[..., ::2]
        else:
            a = rng.normal(size=shape)
        terms.append(term)
        operands.append((a * 3).astype(dtype))
    subscripts = ",".join(terms)
    if draw(st.booleans()):
        used = sorted({c for t in terms for c in t if c != "."})
        out = draw(st.permutations(used))[: draw(st.integers(0, len(used)))]
        subscripts += "->" + ("..." if "..." in subscripts else "") + "".join(out)
    return subscripts, operands, unequal_diagonal


@settings(max_examples=150, deadline=None)
@given(edge_einsum_cases())
def test_einsum_accepts_and_refuses_what_numpy_does_at_the_edges(case):
    subscripts, operands, unequal_diagonal = case
    if unequal_diagonal:
        # NumPy refuses these too, but for one quirk of its single-operand path:
        # 'aa->a' on shape (0, 1) gives shape (1,), a diagonal of an empty square.
        with pytest.raises(ValueError):
            einsum(subscripts, *operands)
        return
    try:
        expected = np.einsum(subscripts, *operands)
    except ValueError:
        with pytest.raises(ValueError):
            einsum(subscripts, *operands)
        return
    assert_close_to_numpy(einsum(subscripts, *operands), expected, subscripts, operands)


@pytest.mark.parametrize(
    ("subscripts", "message"),
    [
        ("ii", "label 'i' repeats in operand 0 with sizes 1 and 3"),
        ("ii->i", "label 'i' repeats in operand 0 with sizes 1 and 3"),
        ("ii->", "label 'i' repeats in operand 0 with sizes 1 and 3"),
    ],
)
def test_a_repeated_label_never_broadcasts_within_an_operand(subscripts, message):
    operand = np.array([[5.0, 6.0, 7.0]])  # 'ii' on shape (1, 3): NumPy refuses it too
    with pytest.raises(ValueError, match="collapsing index 'i' don't match"):
        np.einsum(subscripts, operand)
    with pytest.raises(ValueError, match=message):
        einsum(subscripts, operand)


@pytest.mark.parametrize(
    ("subscripts", "shapes"),
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ii->", [(4, 4)]),
        ("ii->i", [(4, 4)]),
        ("ij->ji", [(2, 3)]),
        ("i,j->ij", [(2,), (3,)]),
        ("ij->", [(2, 3)]),
        ("bii->b", [(5, 3, 3)]),
        ("bij,bjk->bik", [(4, 2, 3), (4, 3, 5)]),
        ("bi,ij,bj->b", [(6, 5), (5, 5), (6, 5)]),
        ("ijk,klm->ijlm", [(2, 3, 4), (4, 5, 6)]),
        ("abcd,cdef->abef", [(2, 3, 4, 5), (4, 5, 2, 3)]),
        ("bhqd,bhkd->bhqk", [(2, 3, 4, 8), (2, 3, 5, 8)]),
        ("Ba", [(2, 3)]),
        ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
        ("i,i", [(3,), (1,)]),
        ("", [()]),
        ("i->", [(0,)]),
        ("ij,jk->ik", [(2, 0), (0, 3)]),
        ("ij, jk -> ik", [(2, 3), (3, 4)]),
    ],
)
def test_einsum_examples(subscripts, shapes):
    rng = np.random.default_rng(0)
    operands = [rng.normal(size=shape) for shape in shapes]
    ours = einsum(subscripts, *operands)
    expected = np.einsum(subscripts, *operands)
    assert np.shape(ours) == np.shape(expected)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.complex128, np.bool_])
def test_einsum_keeps_numpy_result_dtype(dtype):
    rng = np.random.default_rng(0)
    a = (rng.normal(size=(3, 4)) * 3).astype(dtype)
    b = (rng.normal(size=(4, 2)) * 3).astype(dtype)
    ours, expected = einsum("ij,jk->ik", a, b), np.einsum("ij,jk->ik", a, b)
    assert ours.dtype == expected.dtype
    np.testing.assert_allclose(ours, expected, rtol=1e-5)


def test_einsum_never_calls_numpy_einsum():
    tree = ast.parse(inspect.getsource(einsum_module))
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not names & {"einsum", "einsum_path", "tensordot_einsum"}
    assert "opt_einsum" not in inspect.getsource(einsum_module)


def numpy_flops(subscripts, shapes, path):
    """np.einsum_path's FLOP count for ``path``."""
    operands = [np.ones(shape) for shape in shapes]
    report = np.einsum_path(subscripts, *operands, optimize=["einsum_path", *path])[1]
    return float(report.split("Optimized FLOP count:")[1].split()[0])


def test_the_hand_worked_product():
    a, b = np.array([[1, 2], [3, 4]]), np.array([[5, 6], [7, 8]])
    assert einsum("ij,jk->ik", a, b).tolist() == [[19, 22], [43, 50]]


def test_contraction_path_is_greedy_and_counts_multiply_adds():
    shapes = [(64, 64), (64, 64), (64, 64), (64, 16)]
    path, multiply_adds = contraction_path("ij,jk,kl,lm->im", *shapes)
    assert path == [(2, 3), (1, 2), (0, 1)]  # the (kl, lm) pair has the smallest result
    assert multiply_adds == 3 * 64 * 64 * 16
    # NumPy counts a multiply and an add for each term of a step that sums, plus 1.
    assert numpy_flops("ij,jk,kl,lm->im", shapes, path) == pytest.approx(
        2 * multiply_adds + 1, rel=1e-3
    )
    operands = [np.ones(shape) for shape in shapes]
    report = np.einsum_path("ij,jk,kl,lm->im", *operands, optimize="greedy")[1]
    naive = float(report.split("Naive FLOP count:")[1].split()[0])
    assert naive / (2 * multiply_adds) > 1000  # the order matters a thousandfold


def test_greedy_rule_differs_from_numpys():
    # Issue 17: the chapter once said that NumPy's greedy does what plan does.
    # NumPy ranks pairs by the elements a contraction removes; plan by the size
    # of its result. The chapter shows this example and its costs.
    subscripts, shapes = "ij,jk,kl->il", [(40, 10), (10, 5), (5, 3)]
    operands = [np.ones(shape) for shape in shapes]
    path, multiply_adds = contraction_path(subscripts, *shapes)
    assert path == [(1, 2), (0, 1)]
    assert np.einsum_path(subscripts, *operands, optimize="greedy")[0][1:] == [(0, 1), (0, 1)]
    assert numpy_flops(subscripts, shapes, path) == 2 * multiply_adds + 1


def test_a_tie_goes_to_the_first_pair_by_position():
    # Exercise 3: bi with ij and ij with bj have results of one size and one cost.
    shapes = [(1000, 50), (50, 50), (1000, 50)]
    assert contraction_path("bi,ij,bj->b", *shapes) == ([(0, 1), (0, 1)], 2_550_000)
    assert contraction_path("bj,ij,bi->b", *shapes)[0] == [(0, 1), (0, 1)]
    assert contraction_path("ij,bi,bj->b", *shapes[1::-1], shapes[2])[0] == [(0, 1), (0, 1)]
    assert np.einsum("ij,bj", np.ones((2, 3)), np.ones((5, 3))).shape == (5, 2)  # 'bi'


# --- attention -------------------------------------------------------------------


def torch_attention(q, k, v, mask=None):
    tensors = [torch.from_numpy(np.ascontiguousarray(t)) for t in (q, k, v)]
    attn_mask = None if mask is None else torch.from_numpy(mask)
    return torch.nn.functional.scaled_dot_product_attention(*tensors, attn_mask=attn_mask).numpy()


@pytest.mark.parametrize(("dtype", "tol"), [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_matches_torch(dtype, tol, masked):
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 3, 5, 8)).astype(dtype)
    k = rng.normal(size=(2, 3, 7, 8)).astype(dtype)
    v = rng.normal(size=(2, 3, 7, 4)).astype(dtype)
    mask = None
    if masked:
        mask = rng.random((5, 7)) > 0.4  # broadcast over batch and heads
        mask[:, 0] = True  # every query keeps at least one key
    out, weights = attention(q, k, v, mask)
    assert out.dtype == dtype and out.shape == (2, 3, 5, 4)
    np.testing.assert_allclose(out, torch_attention(q, k, v, mask), rtol=tol, atol=tol)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=tol)
    if masked:
        assert np.all(weights[..., ~mask] == 0)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2),  # B
    st.integers(0, 2),  # H
    st.integers(0, 3),  # Lq
    st.integers(1, 300),  # Lk
    st.integers(0, 4),  # d
    st.integers(1, 3),  # dv
    st.sampled_from([np.float64, np.float32]),
    st.sampled_from(["C", "transposed", "strided"]),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_attention_matches_torch_at_the_edges(b, h, lq, lk, d, dv, dtype, layout, masked, seed):
    """Size-0 and size-1 axes, many keys, non-contiguous operands, masks."""
    rng = np.random.default_rng(seed)

    def operand(*shape):
        a = (rng.normal(size=shape) * 2).astype(dtype)
        if layout == "transposed":  # the same values, stored in the other order
            return np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)
        if layout == "strided":
            return np.repeat(a, 2, axis=-1)[..., ::2]
        return a

    q, k, v = operand(b, h, lq, d), operand(b, h, lk, d), operand(b, h, lk, dv)
    mask = None
    if masked:
        mask = rng.random((lq, lk)) > 0.5
        mask[:, 0] = True  # every query keeps a key
    out, weights = attention(q, k, v, mask)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    assert out.dtype == dtype and out.shape == (b, h, lq, dv)
    np.testing.assert_allclose(out, torch_attention(q, k, v, mask), rtol=tol, atol=tol)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=tol)


@pytest.mark.parametrize(("dtype", "tol"), [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_attention_broadcasts_batch_and_heads_and_masks_per_head(dtype, tol):
    """q, k, v whose (B, H) axes broadcast, (2, 1) against (1, 3), one mask a head."""
    rng = np.random.default_rng(3)
    q = rng.normal(size=(2, 1, 40, 8)).astype(dtype)
    k = rng.normal(size=(1, 3, 50, 8)).astype(dtype)
    v = rng.normal(size=(2, 3, 50, 5)).astype(dtype)
    mask = rng.random((3, 40, 50)) > 0.5
    mask[..., 0] = True
    out, weights = attention(q, k, v, mask)
    assert out.shape == (2, 3, 40, 5) and weights.shape == (2, 3, 40, 50)
    assert out.dtype == dtype and weights.dtype == dtype
    q_full, k_full = np.broadcast_to(q, (2, 3, 40, 8)), np.broadcast_to(k, (2, 3, 50, 8))
    expected = torch_attention(q_full, k_full, v, mask)
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
    assert np.all(weights[np.broadcast_to(~mask, weights.shape)] == 0)


def test_attention_with_a_nan_in_one_row_keeps_it_there():
    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=(3, 2, 4, 5)).astype(np.float32) for _ in range(3))
    q[1, 0, 2, 3] = np.nan
    out, weights = attention(q, k, v)
    # The formula gives nan for that query's row, and only there. (PyTorch's fused
    # CPU kernel returns zeros for it: compare the other rows.)
    assert np.isnan(weights[1, 0, 2]).all() and np.isnan(weights).sum() == 4
    assert np.isnan(out[1, 0, 2]).all() and np.isnan(out).sum() == 5
    expected = torch_attention(q, k, v)
    expected[1, 0, 2] = np.nan
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_attention_causal_mask_matches_is_causal():
    rng = np.random.default_rng(1)
    q, k, v = (rng.normal(size=(1, 1, 6, 4)) for _ in range(3))
    causal = np.tril(np.ones((6, 6), dtype=bool))
    out, weights = attention(q, k, v, causal)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.from_numpy(t) for t in (q, k, v)), is_causal=True
    )
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)
    assert np.all(np.triu(weights[0, 0], 1) == 0)


def test_mask_polarity_of_the_two_pytorch_apis():
    # The page's Mask polarity section: True = may attend for
    # scaled_dot_product_attention, True = masked out for nn.MultiheadAttention.
    torch.manual_seed(0)
    x = torch.randn(1, 3, 4)
    causal = torch.tril(torch.ones(3, 3, dtype=torch.bool))
    mha = torch.nn.MultiheadAttention(4, num_heads=1, batch_first=True)
    with torch.no_grad():
        right = mha(x, x, x, attn_mask=~causal)[1][0]
        wrong = mha(x, x, x, attn_mask=causal)[1][0]
    assert torch.all(right[~causal] == 0) and torch.isnan(wrong[2]).all()
    eye = torch.eye(3).expand(1, 1, 3, 3)  # values = identity: the output is the weights
    sdpa = torch.nn.functional.scaled_dot_product_attention(x[None], x[None], eye, causal)
    assert torch.all(sdpa[0, 0][~causal] == 0)


def test_attention_is_stable_for_scores_in_the_thousands():
    rng = np.random.default_rng(2)
    q = rng.normal(size=(1, 1, 4, 16)) * 100  # scores of order 100 * 100 * 4 / 4 = 10^4
    k = rng.normal(size=(1, 1, 4, 16)) * 100
    v = rng.normal(size=(1, 1, 4, 3))
    with np.errstate(over="raise", invalid="raise"):  # underflow to 0 is expected
        out, _ = attention(q, k, v)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, torch_attention(q, k, v), rtol=1e-10, atol=1e-10)


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subscripts", "shapes", "message"),
    [
        ("ij,jk->ik", [(2, 3)], r"name 2 operand\(s\), but 1 were given"),
        ("ij,jk->ik", [(2, 3), (4, 5)], r"label 'j' of operand 1 has size 4, but 3"),
        ("ij->ik", [(2, 3)], "output 'ik': 'k' must be in an input, once here"),
        ("ij->ii", [(2, 3)], "output 'ii': 'i' must be in an input, once here"),
        ("i1->i", [(2, 3)], "'1' is not a letter"),
        ("i_j", [(2, 3)], "'_' is not a letter"),
        ("..i", [(2, 3)], r"'\.\.i': '\.' is not a letter a-zA-Z \('\.\.\.' and '->' may"),
        ("i......", [(2, 3)], r"'\.\.\.' and '->' may appear once"),
        ("i->...i...", [(2,)], r"'\.\.\.' and '->' may appear once"),
        ("ijk", [(2, 3)], r"operand 0 has 2 dimensions .* label 3"),
        ("i", [(2, 3)], r"operand 0 has 2 dimensions .* label 1"),
        ("...ijk", [(2, 3)], r"'\.\.\.ijk' label 3"),
        ("...i,...i->i", [(2, 3), (2, 3)], r"output 'i' must keep the inputs' '\.\.\.'"),
        ("ij->i->j", [(2, 3)], "'->' may appear once"),
        ("ij-jk", [(2, 3)], "'->' may appear once"),
        ("...i,...i", [(2, 3), (4, 3)], r"'\.\.\.' of operand 1 has size 4"),
    ],
)
def test_bad_subscripts_name_the_problem(subscripts, shapes, message):
    operands = [np.ones(shape) for shape in shapes]
    with pytest.raises(ValueError, match=message):
        einsum(subscripts, *operands)


def test_subscripts_must_be_a_string():
    with pytest.raises(TypeError, match="subscripts must be a string"):
        einsum(["ij"], np.ones((2, 2)))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"q": np.ones((2, 4))}, ValueError, r"q must be \(B, H, L, d\), got \(2, 4\)"),
        ({"q": [[[[1.0]]]]}, TypeError, "q must be a float NumPy array"),
        ({"k": np.ones((1, 1, 3, 5))}, ValueError, r"expected q \(B, H, Lq, d\)"),
        ({"v": np.ones((1, 1, 2, 4))}, ValueError, r"k \(B, H, Lk, d\), v \(B, H, Lk, dv\)"),
        (
            {"k": np.ones((1, 1, 0, 4)), "v": np.ones((1, 1, 0, 2))},
            ValueError,
            "with Lk >= 1",
        ),
        ({"q": np.ones((1, 1, 2, 4), dtype=int)}, TypeError, "float NumPy array"),
        ({"mask": np.ones((2, 3))}, TypeError, "mask must be boolean"),
        ({"mask": np.ones((4, 3), dtype=bool)}, ValueError, "could not be broadcast"),
        (
            {"k": np.ones((3, 3, 3, 4)), "v": np.ones((3, 3, 3, 2))},
            ValueError,
            "label 'b' of operand 1 has size 3, but 2",
        ),
        (
            {"mask": np.array([[True, True, True], [False, False, False]])},
            ValueError,
            "every key masked",
        ),
    ],
)
def test_attention_rejects_bad_input(kwargs, error, message):
    arguments = {
        "q": np.ones((2, 2, 2, 4)),
        "k": np.ones((1, 1, 3, 4)),
        "v": np.ones((1, 1, 3, 2)),
        "mask": None,
    }
    arguments |= kwargs
    with pytest.raises(error, match=message):
        attention(**arguments)
