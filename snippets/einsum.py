"""A from-scratch einsum, and scaled dot-product attention written with it.

``einsum`` parses the subscripts into one list of labels per operand, plans a
greedy order of pairwise contractions, and carries out each contraction as
one batched matrix product (transpose, reshape, ``np.matmul``). It never
calls ``np.einsum``. The chapter ``docs/einsum.md`` embeds the sections
marked ``--8<--`` below. ``parse``, ``plan``, ``contract`` and the helpers
beside them are einsum's steps: they trust arguments that ``einsum`` checked.
The module imports only NumPy, so it can be copied on its own.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np

__all__ = ["attention", "contraction_path", "einsum"]


# --8<-- [start:checks]
def _check_subscripts(subscripts: str, shapes: list) -> None:
    """Letters, a term per operand and one per axis; '->', '...' once."""
    if not isinstance(subscripts, str):
        kind = type(subscripts).__name__
        raise TypeError(f"subscripts must be a string, got {kind}")
    left, arrow, right = subscripts.replace(" ", "").partition("->")
    terms = left.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"subscripts {subscripts!r} name {len(terms)} operand(s), "
            f"but {len(shapes)} were given"
        )
    for term in terms + ([right] if arrow else []):
        for char in term.replace("...", "", 1):
            if not (char.isascii() and char.isalpha()):
                raise ValueError(
                    f"{term!r}: {char!r} is not a letter a-zA-Z "
                    "('...' and '->' may appear once)"
                )
    for k, (term, shape) in enumerate(zip(terms, shapes, strict=True)):
        named = len(term.replace("...", ""))
        if len(shape) < named or (len(shape) > named and "..." not in term):
            raise ValueError(
                f"operand {k} has {len(shape)} dimensions (shape {shape}) "
                f"but its subscripts {term!r} label {named}"
            )


def _check_sizes(k: int, labels: list[str], shape, sizes: dict) -> None:
    """A label has one size in an operand, and elsewhere the same or 1."""
    for label, n in zip(labels, shape, strict=True):
        first, known = shape[labels.index(label)], sizes.get(label, 1)
        where = "'...'" if label[0] == "." else f"label {label!r}"
        if n != first:  # a diagonal: no broadcasting within an operand
            raise ValueError(
                f"{where} repeats in operand {k} with sizes {first} and {n}"
            )
        if n != known and 1 not in (n, known):
            raise ValueError(
                f"{where} of operand {k} has size {n}, but {known} elsewhere"
            )


def _check_output(right: str, sizes: dict, width: int) -> None:
    """Output labels appear once each, and in some input; '...' is kept."""
    for label in right.replace("...", ""):
        if right.count(label) > 1 or label not in sizes:
            raise ValueError(
                f"output {right!r}: {label!r} must be in an input, once here"
            )
    if width and "..." not in right:
        raise ValueError(f"output {right!r} must keep the inputs' '...'")


# --8<-- [end:checks]
# --8<-- [start:attention_checks]
def _check_attention(q, k, v, mask) -> None:
    """q, k, v float arrays (B, H, L, d), k and v of one length Lk >= 1."""
    for name, t in {"q": q, "k": k, "v": v}.items():
        if not isinstance(t, np.ndarray) or t.dtype.kind != "f":
            raise TypeError(f"{name} must be a float NumPy array")
        if t.ndim != 4:
            raise ValueError(f"{name} must be (B, H, L, d), got {t.shape}")
    if q.shape[3] != k.shape[3] or k.shape[2] != v.shape[2] or not k.shape[2]:
        raise ValueError(
            "expected q (B, H, Lq, d), k (B, H, Lk, d), v (B, H, Lk, dv) "
            f"with Lk >= 1, got {q.shape}, {k.shape}, {v.shape}"
        )
    if mask is not None and np.asarray(mask).dtype != bool:
        raise TypeError("mask must be boolean, True where a query may attend")
    if mask is not None and not np.asarray(mask).any(axis=-1).all():
        raise ValueError("a query has every key masked: no weights exist")


# --8<-- [end:attention_checks]


# --8<-- [start:parse]
def parse(subscripts: str, shapes: list[tuple[int, ...]]):
    """Labels of each input and of the output, and each label's size.

    The axes under '...' get labels of their own, '...0' for the last, so
    that those of different operands line up as broadcasting lines them up.
    """
    _check_subscripts(subscripts, shapes)
    left, arrow, right = subscripts.replace(" ", "").partition("->")
    terms, inputs, sizes = left.split(","), [], {}
    for k, (term, shape) in enumerate(zip(terms, shapes, strict=True)):
        head, _, tail = term.partition("...")
        width = len(shape) - len(head) - len(tail)
        labels = [*head, *(f"...{i}" for i in reversed(range(width))), *tail]
        _check_sizes(k, labels, shape, sizes)
        for label, n in zip(labels, shape, strict=True):
            sizes[label] = n if sizes.get(label, 1) == 1 else sizes[label]
        inputs.append(labels)
    width = max([0, *(sum(x[0] == "." for x in ls) for ls in inputs)])
    dots = [f"...{i}" for i in reversed(range(width))]
    if not arrow:  # implicit mode: the letters that appear once, sorted
        every = [x for labels in inputs for x in labels]
        once = [x for x in set(every) if every.count(x) == 1 and x.isalpha()]
        return inputs, dots + sorted(once), sizes
    _check_output(right, sizes, width)
    head, _, tail = right.partition("...")
    return inputs, [*head, *dots, *tail], sizes


# --8<-- [end:parse]


# --8<-- [start:plan]
def plan(inputs: list[list[str]], output: list[str], sizes: dict[str, int]):
    """A greedy order of pairwise contractions, and its multiply-adds.

    Each step contracts the pair whose result is smallest (then: the fewest
    multiply-adds, then: the first pair). The path lists pairs of positions
    in the operand list, each result appended at the end, as
    ``np.einsum_path`` writes it.
    """
    operands = [list(dict.fromkeys(x)) for x in inputs]  # 'ii' is one 'i'
    path, cost = [], 0
    while len(operands) > 1:
        steps = []
        for i, j in combinations(range(len(operands)), 2):
            rest = [op for m, op in enumerate(operands) if m not in (i, j)]
            needed = set(output).union(*rest)  # by the output or a later step
            union = list(dict.fromkeys(operands[i] + operands[j]))
            kept = [x for x in union if x in needed]
            size = math.prod(sizes[x] for x in kept)
            terms = math.prod(sizes[x] for x in union)  # one multiply-add each
            steps.append((size, terms, i, j, kept))
        _, terms, i, j, kept = min(steps)
        operands = [op for m, op in enumerate(operands) if m not in (i, j)]
        operands.append(kept)
        path.append((i, j))
        cost += terms
    return path, cost


def contraction_path(subscripts: str, *shapes) -> tuple[list, int]:
    """``plan``'s path for operands of these shapes, and its multiply-adds."""
    return plan(*parse(subscripts, [tuple(shape) for shape in shapes]))


# --8<-- [end:plan]


# --8<-- [start:contract]
def sum_out(a: np.ndarray, labels: list[str], keep: set[str]):
    """Sum the axes whose labels are not in ``keep``."""
    axes = tuple(m for m, x in enumerate(labels) if x not in keep)
    return (a.sum(axis=axes) if axes else a), [x for x in labels if x in keep]


def contract(a, la: list[str], b, lb: list[str], keep: set[str]):
    """Contract ``a`` (labels ``la``) with ``b``, keeping the labels ``keep``.

    Returns the product and its labels. One batched matrix product does it.
    """
    a, la = sum_out(a, la, keep | set(lb))  # what no one else needs goes first
    b, lb = sum_out(b, lb, keep | set(la))
    batch = [x for x in la if x in lb and x in keep]  # shared and kept
    inner = [x for x in la if x in lb and x not in keep]  # shared and summed
    rows = [x for x in la if x not in lb]
    cols = [x for x in lb if x not in la]
    n = dict(zip(la + lb, a.shape + b.shape, strict=True))
    nb = [n[x] for x in batch]
    # A as (batch, rows, inner) and B as (batch, inner, cols), each group
    # flattened to one axis, so that one matmul does all the work ...
    a = a.transpose([la.index(x) for x in batch + rows + inner])
    b = b.transpose([lb.index(x) for x in batch + inner + cols])
    r, m, c = (math.prod(n[x] for x in g) for g in (rows, inner, cols))
    product = np.matmul(a.reshape(*nb, r, m), b.reshape(*nb, m, c))
    # ... and unflattened: the result's axes are (batch, rows, cols).
    labels = batch + rows + cols
    return product.reshape([n[x] for x in labels]), labels


# --8<-- [end:contract]


# --8<-- [start:einsum]
def diagonal(a: np.ndarray, labels: list[str]):
    """Take the diagonal of every label repeated in an operand: 'ii' -> 'i'."""
    while len(set(labels)) < len(labels):
        x = next(x for x in labels if labels.count(x) > 1)
        i = labels.index(x)
        j = labels.index(x, i + 1)
        a = np.diagonal(a, axis1=i, axis2=j)  # drops i and j, appends it
        labels = [y for m, y in enumerate(labels) if m not in (i, j)] + [x]
    return a, labels


def einsum(subscripts: str, *operands) -> np.ndarray:
    """Evaluate an Einstein summation like ``np.einsum``, pairwise."""
    arrays = [np.asarray(a) for a in operands]
    inputs, output, sizes = parse(subscripts, [a.shape for a in arrays])
    current = []
    for a, labels in zip(arrays, inputs, strict=True):
        a, labels = diagonal(a, labels)
        # Size-1 axes become their label's size (a view): they broadcast.
        a = np.broadcast_to(a, [sizes[x] for x in labels])
        current.append((a, labels))
    path, _ = plan(inputs, output, sizes)
    for i, j in path:
        (a, la), (b, lb) = current[i], current[j]
        rest = [op for m, op in enumerate(current) if m not in (i, j)]
        keep = set(output).union(*(labels for _, labels in rest))
        current = [*rest, contract(a, la, b, lb, keep)]
    result, labels = sum_out(*current[0], set(output))  # one operand's sums
    result = result.transpose([labels.index(x) for x in output])
    return result.astype(np.result_type(*arrays), copy=False)


# --8<-- [end:einsum]


# --8<-- [start:attention]
def attention(q, k, v, mask=None) -> tuple[np.ndarray, np.ndarray]:
    """softmax(q k^T / sqrt(d)) v for q (B, H, Lq, d), k (B, H, Lk, d).

    v is (B, H, Lk, dv); mask is boolean, broadcastable to (B, H, Lq, Lk),
    True where a query may attend. Returns (B, H, Lq, dv) and the weights.
    """
    _check_attention(q, k, v, mask)
    # Scaling q (Lq d numbers) costs less than scaling the scores (Lq Lk).
    scores = einsum("bhqd,bhkd->bhqk", q / math.sqrt(q.shape[-1]), k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)  # a weight of exactly 0
    # The stable softmax over the keys: subtract each row's maximum first.
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return einsum("bhqk,bhkd->bhqd", weights, v), weights


# --8<-- [end:attention]
