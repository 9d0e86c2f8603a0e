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
        ({"q": np.ones((2, 4), dtype=int)}, TypeError, "floating-point"),
        ({"mask": np.ones((2, 3))}, TypeError, "mask must be boolean"),
        ({"mask": np.ones((4, 3), dtype=bool)}, ValueError, "does not broadcast"),
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
