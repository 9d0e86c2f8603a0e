"""snippets/einsum.py against np.einsum, np.einsum_path and PyTorch's attention.

Tolerances: 1e-10 (relative and absolute) in float64, where the only difference
from np.einsum is the order of the floating-point sums; 1e-5 in float32.
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
    """Valid subscripts with 1 to 4 operands, sizes 1 to 5, '...' and repeated labels."""
    sizes = {label: draw(st.integers(1, 5)) for label in LABELS}
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
    return subscripts, [rng.normal(size=shape) for shape in shapes]


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
    ours = einsum(subscripts, *operands)
    assert np.shape(ours) == np.shape(expected)
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-10)


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
    ours = einsum(subscripts, *operands)
    assert np.shape(ours) == np.shape(expected) and ours.dtype == expected.dtype
    if operands[0].dtype.kind in "bi":
        np.testing.assert_array_equal(ours, expected)  # integers and booleans: exact
        return
    # Floating point: only the order of the sums differs, so each result may be off by a
    # few roundings of the sum of the magnitudes of its terms, in the operands' dtype.
    magnitude = np.einsum(subscripts, *(np.abs(a.astype(np.float64)) for a in operands))
    eps = float(np.finfo(operands[0].dtype).eps)
    atol = 16 * eps * magnitude + 1e-300
    assert np.all(np.abs(ours.astype(np.float64) - expected) <= atol)


@pytest.mark.parametrize(
    ("subscripts", "message"),
    [
        ("ii", "label 'i' repeats in operand 0 with sizes 1 and 3"),
        ("ii->i", "label 'i' repeats in operand 0 with sizes 1 and 3"),
        ("ii->", "a diagonal needs equal sizes"),
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


def test_contraction_path_is_greedy_and_counts_like_numpy():
    shapes = [(64, 64), (64, 64), (64, 64), (64, 16)]
    path, flops = contraction_path("ij,jk,kl,lm->im", *shapes)
    assert path == [(2, 3), (1, 2), (0, 1)]  # the (kl, lm) pair has the smallest result
    operands = [np.ones(shape) for shape in shapes]
    report = np.einsum_path("ij,jk,kl,lm->im", *operands, optimize="greedy")[1]
    numpy_flops = float(report.split("Optimized FLOP count:")[1].split()[0])
    assert flops == pytest.approx(numpy_flops, rel=1e-3)
    naive = float(report.split("Naive FLOP count:")[1].split()[0])
    assert naive / flops > 1000  # the order matters by three orders of magnitude


def test_greedy_rule_differs_from_numpys_and_flops_are_numpys_minus_one():
    # Issue 17: the chapter once said that NumPy's greedy does what plan does.
    # NumPy ranks pairs by the elements a contraction removes; plan by the size
    # of its result. The chapter shows this example and its costs.
    subscripts, shapes = "ij,jk,kl->il", [(40, 10), (10, 5), (5, 3)]
    operands = [np.ones(shape) for shape in shapes]
    path, flops = contraction_path(subscripts, *shapes)
    assert path == [(1, 2), (0, 1)]
    assert np.einsum_path(subscripts, *operands, optimize="greedy")[0][1:] == [(0, 1), (0, 1)]
    report = np.einsum_path(subscripts, *operands, optimize=["einsum_path", *path])[1]
    assert float(report.split("Optimized FLOP count:")[1].split()[0]) == flops + 1


# --- attention -------------------------------------------------------------------


def torch_attention(q, k, v, mask=None):
    tensors = [torch.from_numpy(t) for t in (q, k, v)]
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
    st.lists(st.integers(0, 2), max_size=2),  # batch axes, sizes 0 to 2
    st.integers(0, 3),  # Lq
    st.integers(1, 300),  # Lk
    st.integers(0, 4),  # d
    st.integers(1, 3),  # dv
    st.sampled_from([np.float64, np.float32]),
    st.sampled_from(["C", "transposed", "strided"]),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_attention_matches_torch_at_the_edges(batch, lq, lk, d, dv, dtype, layout, masked, seed):
    """Size-0 and size-1 axes, many keys, non-contiguous operands, masks."""
    rng = np.random.default_rng(seed)

    def operand(*shape):
        a = (rng.normal(size=shape) * 2).astype(dtype)
        if layout == "transposed":  # the same values, stored in the other order
            return np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)
        if layout == "strided":
            return np.repeat(a, 2, axis=-1)[..., ::2]
        return a

    q, k, v = operand(*batch, lq, d), operand(*batch, lk, d), operand(*batch, lk, dv)
    mask = None
    if masked:
        mask = rng.random((lq, lk)) > 0.5
        mask[:, 0] = True  # every query keeps a key
    out, weights = attention(q, k, v, mask)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    assert out.dtype == dtype and out.shape == (*batch, lq, dv)
    np.testing.assert_allclose(out, torch_attention(q, k, v, mask), rtol=tol, atol=tol)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=tol)


@pytest.mark.parametrize(("dtype", "tol"), [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_in_blocks_on_threads_matches_torch(dtype, tol, masked):
    """Scores of 300 x 300 put two heads in a block: six heads make three blocks,
    shared among threads, from batch axes that broadcast (2, 1) against (1, 3)."""
    rng = np.random.default_rng(3)
    q = rng.normal(size=(2, 1, 300, 8)).astype(dtype)
    k = rng.normal(size=(1, 3, 300, 8)).astype(dtype)
    v = rng.normal(size=(2, 3, 300, 5)).astype(dtype)
    mask = None
    if masked:
        mask = rng.random((3, 300, 300)) > 0.5  # one mask a head
        mask[..., 0] = True
    q[1, 0, 7, 2] = np.nan  # in the last block: the threads keep it to its rows
    out, weights = attention(q, k, v, mask)
    assert out.shape == (2, 3, 300, 5) and weights.shape == (2, 3, 300, 300)
    assert out.dtype == dtype and weights.dtype == dtype
    expected = torch_attention(np.broadcast_to(q, (2, 3, 300, 8)).copy(), k, v, mask)
    nan_rows = np.zeros(out.shape[:-1], dtype=bool)
    nan_rows[1, :, 7] = True
    assert np.isnan(out[nan_rows]).all() and not np.isnan(out[~nan_rows]).any()
    np.testing.assert_allclose(out[~nan_rows], expected[~nan_rows], rtol=tol, atol=tol)
    np.testing.assert_allclose(weights[~nan_rows].sum(axis=-1), 1.0, rtol=tol)
    if masked:
        masked_out = np.broadcast_to(~mask, weights.shape) & ~nan_rows[..., None]
        assert np.all(weights[masked_out] == 0)


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


def test_attention_causal_mask_and_single_head():
    rng = np.random.default_rng(1)
    q, k, v = (rng.normal(size=(6, 4)) for _ in range(3))
    causal = np.tril(np.ones((6, 6), dtype=bool))
    out, weights = attention(q, k, v, causal)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.from_numpy(t) for t in (q, k, v)), is_causal=True
    )
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)
    assert np.all(np.triu(weights, 1) == 0)


def test_attention_is_stable_for_scores_in_the_thousands():
    rng = np.random.default_rng(2)
    q = rng.normal(size=(4, 16)) * 100  # scores of order 100 * 100 * 4 / 4 = 10^4
    k = rng.normal(size=(4, 16)) * 100
    v = rng.normal(size=(4, 3))
    with np.errstate(over="raise", invalid="raise"):  # underflow to 0 is expected
        out, _ = attention(q, k, v)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, torch_attention(q, k, v), rtol=1e-10, atol=1e-10)


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subscripts", "shapes", "message"),
    [
        ("ij,jk->ik", [(2, 3)], r"name 2 operand\(s\), but 1 were given"),
        ("ij,jk->ik", [(2, 3), (4, 5)], r"label 'j' of operand 1 has size 4, but size 3"),
        ("ij->ik", [(2, 3)], "output label 'k' does not appear in any input"),
        ("ij->ii", [(2, 3)], "output label 'i' appears more than once"),
        ("i1->i", [(2, 3)], "'1' is not a letter"),
        ("i_j", [(2, 3)], "'_' is not a letter"),
        ("..i", [(2, 3)], "'...' may appear once, as exactly three dots"),
        ("i......", [(2, 3)], "'...' may appear once"),
        ("i->...i...", [(2,)], "'...' may appear once"),
        ("ijk", [(2, 3)], r"operand 0 has 2 dimensions .* label 3"),
        ("i", [(2, 3)], r"operand 0 has 2 dimensions .* label 1"),
        ("...ijk", [(2, 3)], r"label 3 or more"),
        ("...i,...i->i", [(2, 3), (2, 3)], "must keep them with '...'"),
        ("ij->i->j", [(2, 3)], "'->' may appear once"),
        ("ij-jk", [(2, 3)], "'->' may appear once"),
        ("...i,...i", [(2, 3), (4, 3)], r"the '\.\.\.' dimensions of operand 1 has size 4"),
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
        ({"q": np.ones(4)}, ValueError, "q must have at least 2 dimensions"),
        ({"k": np.ones((3, 5))}, ValueError, "share the feature size d"),
        ({"v": np.ones((2, 4))}, ValueError, "the same length Lk"),
        (
            {"k": np.ones((0, 4)), "v": np.ones((0, 2)), "mask": None},
            ValueError,
            r"expected at least one key \(Lk >= 1\), got k of shape \(0, 4\)",
        ),
        ({"q": np.ones((2, 4), dtype=int)}, TypeError, "floating-point"),
        ({"mask": np.ones((2, 3))}, TypeError, "mask must be boolean"),
        ({"mask": np.ones((4, 3), dtype=bool)}, ValueError, "does not broadcast"),
        (
            {"q": np.ones((2, 2, 4)), "k": np.ones((3, 3, 4)), "v": np.ones((3, 3, 2))},
            ValueError,
            r"the leading \(batch, head\) axes of q, k and v must broadcast",
        ),
        (
            {"mask": np.array([[True, True, True], [False, False, False]])},
            ValueError,
            "every key masked",
        ),
    ],
)
def test_attention_rejects_bad_input(kwargs, error, message):
    arguments = {"q": np.ones((2, 4)), "k": np.ones((3, 4)), "v": np.ones((3, 2)), "mask": None}
    arguments |= kwargs
    with pytest.raises(error, match=message):
        attention(**arguments)
