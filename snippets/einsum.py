"""A from-scratch einsum that plans its contraction order, and attention
written with it.

``einsum`` parses the subscripts, takes diagonals for labels repeated within an
operand, sums labels that only one operand carries, contracts the operands
pairwise in a greedy order with ``np.matmul``, and transposes once at the end.
It never calls ``np.einsum``. The chapter ``docs/einsum.md`` embeds the sections
marked ``--8<--`` below. This module imports only NumPy and, for attention's
threads, threadpoolctl, so it can be copied on its own.
"""

from __future__ import annotations

import math
import os
import string
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from itertools import combinations

import numpy as np
from threadpoolctl import ThreadpoolController

__all__ = ["attention", "contraction_path", "einsum"]

# --8<-- [start:parse_terms]
LETTERS = set(string.ascii_letters)


def _parse_term(term: str, position: str) -> tuple[list[str], bool]:
    """Split a term into its letters, noting where (and whether) ``...`` is."""
    if term.count("...") > 1 or term.replace("...", "").count("."):
        raise ValueError(
            f"{position} {term!r}: '...' may appear once, as exactly three dots"
        )
    labels = []
    for char in term.replace("...", "*"):  # '*' marks the ellipsis's place
        if char != "*" and char not in LETTERS:
            raise ValueError(
                f"{position} {term!r}: {char!r} is not a letter; "
                "labels are a-z, A-Z"
            )
        labels.append(char)
    return labels, "*" in labels


def _split(subscripts: str, n_operands: int):
    """Split ``"ij,jk->ik"`` into its input terms and its output term."""
    if not isinstance(subscripts, str):
        raise TypeError(
            f"subscripts must be a string, got {type(subscripts).__name__}"
        )
    spec = subscripts.replace(" ", "")
    rest = spec.replace("->", "")
    if spec.count("->") > 1 or rest.count("-") or rest.count(">"):
        raise ValueError(
            f"subscripts {subscripts!r}: '->' may appear once, "
            "between inputs and output"
        )
    left, right = spec.split("->") if "->" in spec else (spec, None)
    terms = left.split(",")
    if len(terms) != n_operands:
        raise ValueError(
            f"subscripts {subscripts!r} name {len(terms)} operand(s), "
            f"but {n_operands} were given"
        )
    return terms, right


# --8<-- [end:parse_terms]
# --8<-- [start:parse_operands]
def _label_operand(k: int, term: str, shape, sizes: dict) -> list[str]:
    """The labels of operand ``k``, one per dimension; records their sizes.

    The dimensions under ``...`` get the labels ``"...0"``, ``"...1"``, ...
    counted from the right, so that those of different operands line up as
    broadcasting lines them up.
    """
    labels, has_ellipsis = _parse_term(term, f"operand {k}")
    named = len(labels) - has_ellipsis
    if len(shape) < named or (len(shape) != named and not has_ellipsis):
        raise ValueError(
            f"operand {k} has {len(shape)} dimensions (shape {shape}) "
            f"but its subscripts {term!r} label {named}"
            + (" or more" if has_ellipsis else "")
        )
    star = labels.index("*") if has_ellipsis else len(labels)
    width = len(shape) - named
    expanded = (
        labels[:star]
        + [f"...{width - 1 - i}" for i in range(width)]
        + labels[star + 1 :]
    )
    for m, (label, size) in enumerate(zip(expanded, shape, strict=True)):
        first = expanded.index(label)
        if first < m and size != shape[first]:  # no broadcasting within one
            raise ValueError(
                f"label {label!r} repeats in operand {k} with sizes "
                f"{shape[first]} and {size}; a diagonal needs equal sizes"
            )
        known = sizes.get(label, 1)
        if size != known and 1 not in (size, known):
            where = (
                "the '...' dimensions"
                if label[0] == "."
                else f"label {label!r}"
            )
            raise ValueError(
                f"{where} of operand {k} has size {size}, but size "
                f"{known} elsewhere; sizes of one label must be equal "
                "(or 1, which broadcasts)"
            )
        sizes[label] = max(size, known) if 0 not in (size, known) else 0
    return expanded


# --8<-- [end:parse_operands]
# --8<-- [start:parse]
def _output(right, inputs: list[list[str]], sizes: dict) -> list[str]:
    """The output's labels: as written after ``->``, or implicit mode's."""
    ellipsis_ndim = max(
        (sum(x[0] == "." for x in i) for i in inputs), default=0
    )
    ellipsis_labels = [f"...{i}" for i in reversed(range(ellipsis_ndim))]
    if right is None:
        # Implicit mode: the labels that appear exactly once, in alphabetical
        # (ASCII) order, after the broadcast '...' dimensions.
        counts = Counter(label for labels in inputs for label in labels)
        once = sorted(x for x, c in counts.items() if c == 1 and len(x) == 1)
        return ellipsis_labels + once
    out_labels, has_ellipsis = _parse_term(right, "output")
    seen = [label for label in out_labels if label != "*"]
    for label in seen:
        if seen.count(label) > 1:
            raise ValueError(
                f"output label {label!r} appears more than once in {right!r}"
            )
        if label not in sizes:
            raise ValueError(
                f"output label {label!r} does not appear in any input"
            )
    if ellipsis_ndim and not has_ellipsis:
        raise ValueError(
            f"the inputs' '...' covers {ellipsis_ndim} dimension(s); "
            f"the output {right!r} must keep them with '...'"
        )
    star = out_labels.index("*") if has_ellipsis else len(out_labels)
    return out_labels[:star] + ellipsis_labels + out_labels[star + 1 :]


def parse(subscripts: str, shapes: list[tuple[int, ...]]):
    """Check ``subscripts`` against the operand shapes.

    Returns ``(inputs, output, sizes)``: each input and the output as a list
    of labels (see ``_label_operand`` for ``...``), and every label's size.
    """
    terms, right = _split(subscripts, len(shapes))
    sizes: dict[str, int] = {}
    inputs = [
        _label_operand(k, term, shape, sizes)
        for k, (term, shape) in enumerate(zip(terms, shapes, strict=True))
    ]
    return inputs, _output(right, inputs, sizes), sizes


# --8<-- [end:parse]


# --8<-- [start:plan]
def plan(inputs: list[list[str]], output: list[str], sizes: dict[str, int]):
    """Choose pairwise contractions greedily, cheapest intermediate first.

    Returns ``(path, flops)``: pairs of positions in the current operand
    list (the result of each contraction is appended at the end, as
    ``np.einsum_path`` reports it), and the FLOP count in ``np.einsum_path``'s
    convention: for each contraction, the number of terms, times 2 if
    something is summed.
    """
    operands = [list(dict.fromkeys(x)) for x in inputs]  # diagonals taken
    in_output = set(output)
    path, flops = [], 0
    while len(operands) > 1:
        # In how many operands each label occurs: a label survives a
        # contraction if the output or an operand outside the pair needs it.
        counts = Counter(label for op in operands for label in op)
        best = None
        for i, j in combinations(range(len(operands)), 2):
            a, b = operands[i], operands[j]
            union = list(dict.fromkeys(a + b))
            result = [
                x
                for x in union
                if x in in_output or counts[x] > (x in a) + (x in b)
            ]
            result_size = math.prod(sizes[x] for x in result)
            terms = math.prod(sizes[x] for x in union)
            if best is None or (result_size, terms) < best[0]:
                best = ((result_size, terms), i, j, result, union)
        (_, terms), i, j, result, union = best
        flops += terms * (2 if len(union) > len(result) else 1)
        rest = [op for k, op in enumerate(operands) if k not in (i, j)]
        operands = [*rest, result]
        path.append((i, j))
    return path, flops


@lru_cache(maxsize=1024)
def _cached_path(
    inputs: tuple, output: tuple, sizes: tuple
) -> list[tuple[int, int]]:
    """``plan``'s path, remembered: it depends only on labels and sizes, and
    a model calls the same einsum on same-shaped operands many times."""
    return plan(
        [list(labels) for labels in inputs], list(output), dict(sizes)
    )[0]


@lru_cache(maxsize=1024)
def _cached_parse(subscripts: str, shapes: tuple) -> tuple:
    """``parse``'s result, remembered for the same reason (attention calls
    one einsum on every block of heads). Its lists and dict are shared
    between calls: ``einsum`` reads them and never changes them."""
    return parse(subscripts, list(shapes))


def contraction_path(
    subscripts: str, *shapes
) -> tuple[list[tuple[int, int]], int]:
    """The pairwise order ``einsum`` uses for these shapes, and its FLOPs."""
    shapes = [tuple(int(s) for s in shape) for shape in shapes]
    inputs, output, sizes = parse(subscripts, shapes)
    return plan(inputs, output, sizes)


# --8<-- [end:plan]


# --8<-- [start:einsum_steps]
def _diagonals(
    a: np.ndarray, labels: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Take the diagonal for every label repeated in an operand ('ii'->'i')."""
    labels = list(labels)
    for label in dict.fromkeys(labels):
        while labels.count(label) > 1:
            first = labels.index(label)
            second = labels.index(label, first + 1)
            # np.diagonal drops both axes and appends the diagonal last.
            a = np.diagonal(a, axis1=first, axis2=second)
            labels = [
                x for k, x in enumerate(labels) if k not in (first, second)
            ] + [label]
    return a, labels


def _squeeze_broadcast(
    a: np.ndarray, labels: list[str], sizes: dict[str, int]
):
    """Drop size-1 axes whose label is larger elsewhere: they broadcast."""
    drop = [
        k
        for k, label in enumerate(labels)
        if a.shape[k] == 1 and sizes[label] != 1
    ]
    return np.squeeze(a, axis=tuple(drop)), [
        x for k, x in enumerate(labels) if k not in drop
    ]


def _sum_out(a: np.ndarray, labels: list[str], keep: set[str]):
    """Sum the axes whose labels no other operand and not the output need."""
    axes = tuple(k for k, label in enumerate(labels) if label not in keep)
    if not axes:
        return a, labels  # a.sum(axis=()) would copy the whole array
    return a.sum(axis=axes), [label for label in labels if label in keep]


# --8<-- [end:einsum_steps]
# --8<-- [start:einsum_contract]


def _contract(a, la: list[str], b, lb: list[str], keep: set[str]):
    """Contract two operands with one batched matrix product.

    Returns the result and its labels.
    """
    a, la = _sum_out(a, la, keep | set(lb))
    b, lb = _sum_out(b, lb, keep | set(la))
    batch = [
        x for x in la if x in lb and x in keep
    ]  # shared and kept: matmul's batch axes
    summed = [
        x for x in la if x in lb and x not in keep
    ]  # shared and summed: the inner axis
    only_a = [x for x in la if x not in lb]
    only_b = [x for x in lb if x not in la]
    # Arrange A as (batch, only_a, summed) and B as (batch, summed, only_b) ...
    a = np.transpose(a, [la.index(x) for x in batch + only_a + summed])
    b = np.transpose(b, [lb.index(x) for x in batch + summed + only_b])
    nb, na = len(batch), len(only_a)
    batch_shape, a_shape, b_shape = (
        a.shape[:nb],
        a.shape[nb : nb + na],
        b.shape[nb + len(summed) :],
    )
    inner = math.prod(a.shape[nb + na :])
    # ... flatten each group to one axis: one matmul does all the work ...
    product = np.matmul(
        a.reshape((*batch_shape, math.prod(a_shape), inner)),
        b.reshape((*batch_shape, inner, math.prod(b_shape))),
    )
    # ... and unflatten: the result's axes are (batch, only_a, only_b).
    return product.reshape(
        (*batch_shape, *a_shape, *b_shape)
    ), batch + only_a + only_b


# --8<-- [end:einsum_contract]
# --8<-- [start:einsum]


def einsum(subscripts: str, *operands) -> np.ndarray:
    """Evaluate an Einstein summation like ``np.einsum``.

    Operands are contracted pairwise, in ``plan``'s greedy order.
    """
    arrays = [np.asarray(op) for op in operands]
    shapes = tuple(a.shape for a in arrays)
    if isinstance(subscripts, str):  # hashable: the parse can be remembered
        inputs, output, sizes = _cached_parse(subscripts, shapes)
    else:  # parse says what it expected
        inputs, output, sizes = parse(subscripts, list(shapes))
    dtype = np.result_type(*arrays) if arrays else np.float64

    # 1. Diagonals for repeated labels, and size-1 axes that only broadcast.
    current = []
    for a, labels in zip(arrays, inputs, strict=True):
        a, labels = _diagonals(a, labels)
        current.append(_squeeze_broadcast(a, labels, sizes))

    # 2. Sum what only one operand carries, then contract in the planned order.
    path = _cached_path(
        tuple(tuple(labels) for _, labels in current),
        tuple(output),
        tuple(sizes.items()),
    )
    if len(current) == 1:
        current = [_sum_out(*current[0], set(output))]
    for i, j in path:
        (a, la), (b, lb) = current[i], current[j]
        rest = [op for k, op in enumerate(current) if k not in (i, j)]
        keep = set(output).union(*(labels for _, labels in rest))
        current = [*rest, _contract(a, la, b, lb, keep)]

    # 3. One transpose into the output order; labels that were size 1 everywhere
    #    were squeezed away and come back as new axes.
    result, labels = current[0]
    present = [label for label in output if label in labels]
    result = np.transpose(result, [labels.index(label) for label in present])
    result = result.reshape([sizes[label] for label in output])
    return result.astype(dtype, copy=False)


# --8<-- [end:einsum]


# --8<-- [start:attention_checks]
def _checked(q, k, v) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``q``, ``k``, ``v`` as arrays, once their shapes and dtypes fit."""
    q, k, v = (np.asarray(t) for t in (q, k, v))
    for name, t in (("q", q), ("k", k), ("v", v)):
        if t.ndim < 2:
            raise ValueError(
                f"{name} must have at least 2 dimensions (..., L, d), "
                f"got shape {t.shape}"
            )
        if not np.issubdtype(t.dtype, np.floating):
            raise TypeError(
                f"{name} must be floating-point, got dtype {t.dtype}"
            )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must share the feature size d, got {q.shape} and "
            f"{k.shape}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have the same length Lk, got {k.shape} and {v.shape}"
        )
    if k.shape[-2] == 0:
        raise ValueError(
            f"expected at least one key (Lk >= 1), got k of shape {k.shape}"
        )
    return q, k, v


def _checked_mask(mask, shape: tuple[int, ...]) -> np.ndarray:
    """``mask`` (True = may attend) broadcast to the scores' ``shape``."""
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(
            f"mask must be boolean (True = may attend), got dtype {mask.dtype}"
        )
    try:
        mask = np.broadcast_to(mask, shape)
    except ValueError:
        raise ValueError(
            f"mask of shape {mask.shape} does not broadcast to the scores' "
            f"{shape}"
        ) from None
    if not mask.any(axis=-1).all():
        raise ValueError(
            "a query has every key masked: its attention weights are undefined"
        )
    return mask


# --8<-- [end:attention_checks]
# --8<-- [start:attention_parts]
# The BLAS libraries NumPy loaded, found once: attention limits their threads.
_BLAS = ThreadpoolController()
# One worker thread per core, started once and kept, as PyTorch keeps its own:
# starting them on every call cost about 3% of a call in the benchmark.
_WORKERS = ThreadPoolExecutor(os.cpu_count() or 1)


def _attend(q, k, v, mask, weights, out) -> None:
    """Attention for a block of heads, written into ``weights`` and ``out``."""
    scores = einsum("hqd,hkd->hqk", q, k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)  # weight exactly 0
    # The stable softmax over the keys, into weights: subtract each row's
    # maximum, exponentiate and normalize, all on a block that fits the cache.
    np.subtract(scores, scores.max(axis=-1, keepdims=True), out=weights)
    np.exp(weights, out=weights)
    weights *= 1 / weights.sum(axis=-1, keepdims=True)  # one division a row
    out[...] = einsum("hqk,hkd->hqd", weights, v)


# --8<-- [end:attention_parts]
# --8<-- [start:attention]
def attention(q, k, v, mask=None) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention: ``softmax(q k^T / sqrt(d)) v``, weights.

    ``q`` is ``(..., Lq, d)``, ``k`` is ``(..., Lk, d)``, ``v`` is
    ``(..., Lk, dv)``; ``mask`` is boolean, broadcastable to
    ``(..., Lq, Lk)``, True where a query may attend (PyTorch's convention).
    """
    q, k, v = _checked(q, k, v)
    (lq, d), lk, dv = q.shape[-2:], k.shape[-2], v.shape[-1]
    try:
        heads = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"the leading (batch, head) axes of q, k and v must broadcast, "
            f"got shapes {q.shape}, {k.shape} and {v.shape}"
        ) from None
    # Every head is independent: line them up along one axis.
    n = math.prod(heads)
    # Scaling q (L x d numbers) costs less than scaling the scores (L x L).
    scale = np.sqrt(d).astype(q.dtype)
    q = np.broadcast_to(q / scale, (*heads, lq, d)).reshape(n, lq, d)
    k = np.broadcast_to(k, (*heads, lk, d)).reshape(n, lk, d)
    v = np.broadcast_to(v, (*heads, lk, dv)).reshape(n, lk, dv)
    if mask is not None:
        mask = _checked_mask(mask, (*heads, lq, lk)).reshape(n, lq, lk)
    weights = np.empty((n, lq, lk), np.result_type(q, k))
    out = np.empty((n, lq, dv), np.result_type(weights, v))
    # Blocks of heads whose scores fit in the cache (2^18 numbers), shared
    # among one thread per core: NumPy's elementwise functions use one core
    # each and release the GIL, so threads put every core to work, as
    # PyTorch's fused kernel does. BLAS then gets one thread per worker, or
    # its own threads and ours would fight over the cores.
    step = max(1, 2**18 // max(1, lq * lk))
    blocks = [slice(i, i + step) for i in range(0, n, step)]
    cut = [None if mask is None else mask[b] for b in blocks]
    if len(blocks) == 1:  # one block: threads would cost more than they save
        _attend(q, k, v, cut[0], weights, out)
    else:
        with _BLAS.limit(limits=1, user_api="blas"):
            for done in [
                _WORKERS.submit(
                    _attend, q[b], k[b], v[b], m, weights[b], out[b]
                )
                for b, m in zip(blocks, cut, strict=True)
            ]:
                done.result()  # raises what a worker raised
    return out.reshape(*heads, lq, dv), weights.reshape(*heads, lq, lk)


# --8<-- [end:attention]
