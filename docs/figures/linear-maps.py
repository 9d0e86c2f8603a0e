"""Figures of the linear maps chapter, drawn by book_build/figures.py."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Polygon, Rectangle

from snippets.linear_maps import null_space

SHEAR = np.array([[2.0, 1.0], [0.0, 1.0]])  # the chapter's first example
SVD_EXAMPLE = np.array([[3.0, 0.0], [4.0, 5.0]])
BLUE, ORANGE, GREEN, PINK = "#3b5bdb", "#e8590c", "#2f9e44", "#c2255c"
FILLS = ["#dbe4ff", "#ffe3c4", "#d3f2d5"]
CIRCLE = np.stack(
    [
        np.cos(np.linspace(0, 2 * np.pi, 200)),
        np.sin(np.linspace(0, 2 * np.pi, 200)),
    ]
)


def _plane(ax, limit, title):
    """Equal axes through the origin, labelled x1 and x2."""
    ax.axhline(0, color="0.7", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.7", linewidth=0.8, zorder=0)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_title(title)


def _arrow(ax, vector, colour, label, offset=(0.1, 0.1)):
    ax.annotate(
        "",
        xy=vector,
        xytext=(0, 0),
        arrowprops={"arrowstyle": "-|>", "color": colour, "linewidth": 1.8},
    )
    ax.text(vector[0] + offset[0], vector[1] + offset[1], label, color=colour)


def _arrow_out(ax, vector, colour, label, gap):
    """An arrow from the origin, labelled ``gap`` to the side its tip points.

    The label sits beside the tip, on the outer side, so that a label at the
    end of a semi-axis stays clear of its ellipse.
    """
    _arrow(ax, vector, colour, "")
    side = 1 if vector[0] >= 0 else -1
    ax.text(
        vector[0] + side * gap,
        vector[1],
        label,
        color=colour,
        ha="left" if side > 0 else "right",
        va="center",
    )


def plot_square_circle():
    """The unit square and circle, and their images under [[2, 1], [0, 1]]."""
    square = np.array([[0, 1, 1, 0], [0, 0, 1, 1]], dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4))
    for ax, m, title in [
        (axes[0], np.eye(2), "x"),
        (axes[1], SHEAR, "A x"),
    ]:
        _plane(ax, 3.4, title)
        ax.add_patch(
            Polygon((m @ square).T, facecolor=FILLS[0], edgecolor=BLUE)
        )
        ellipse = m @ CIRCLE
        ax.plot(ellipse[0], ellipse[1], color=ORANGE, linewidth=1.5)
        names = ("e₁", "e₂") if title == "x" else ("Ae₁", "Ae₂")
        _arrow(ax, m[:, 0], PINK, names[0], (0.1, -0.6))
        _arrow(ax, m[:, 1], GREEN, names[1], (-0.9, 0.15))
    axes[1].text(3.05, 1.05, "(3, 1)", ha="right", va="bottom")
    fig.tight_layout()
    return fig


def _cells(ax, left, top, values, colours, title=None):
    """Draw ``values`` (2-D) as cells, top-left corner at (left, top)."""
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            ax.add_patch(
                Rectangle(
                    (left + j, top - i - 1),
                    1,
                    1,
                    facecolor=colours[i][j],
                    edgecolor="0.35",
                    linewidth=1.0,
                )
            )
            ax.text(
                left + j + 0.5,
                top - i - 0.5,
                str(values[i, j]),
                ha="center",
                va="center",
            )
    if title:
        ax.text(left + cols / 2, top + 0.2, title, ha="center", va="bottom")


def _product(ax, a, b, a_col, b_col, c_col):
    """A @ B = C laid out left to right, each with its cell colours."""
    _cells(ax, 0, 3, a, a_col, "A")
    ax.text(3.45, 1.5, "·", ha="center", va="center", fontsize=16)
    _cells(ax, 4, 3, b, b_col, "B")
    ax.text(6.5, 1.5, "=", ha="center", va="center", fontsize=14)
    _cells(ax, 7, 3, a @ b, c_col, "C")


def plot_four_views():
    """Entries, columns, rows and rank-one pieces of the same 2x3 @ 3x2."""
    a = np.array([[1, 2, 0], [0, 1, 1]])
    b = np.array([[1, 0], [0, 1], [2, 3]])
    white = "white"
    fig, grid = plt.subplots(2, 2, figsize=(6.4, 4.0))
    (entries, columns), (rows, pieces) = grid

    hi = FILLS[0]
    _product(
        entries,
        a,
        b,
        [[hi] * 3, [white] * 3],
        [[hi, white]] * 3,
        [[hi, white], [white, white]],
    )
    entries.set_title("1. entry = row · column")

    _product(
        columns,
        a,
        b,
        [FILLS, FILLS],
        [[FILLS[k], white] for k in range(3)],
        [[hi, white], [hi, white]],
    )
    columns.set_title("2. column = A's columns, weighted")

    _product(
        rows,
        a,
        b,
        [[FILLS[0], FILLS[1], FILLS[2]], [white] * 3],
        [[FILLS[k]] * 2 for k in range(3)],
        [[hi, hi], [white, white]],
    )
    rows.set_title("3. row = B's rows, weighted")

    for k in range(3):
        piece = np.outer(a[:, k], b[k])
        _cells(pieces, 3.2 * k, 3, piece, [[FILLS[k]] * 2] * 2)
        if k < 2:
            pieces.text(3.2 * k + 2.6, 2, "+", ha="center", va="center")
    pieces.text(4.6, 0.3, "= C = [[1, 2], [2, 4]]", ha="center", va="center")
    pieces.set_title("4. sum of rank-one pieces")

    for ax in grid.flat:
        ax.set_xlim(-0.3, 9.3)
        ax.set_ylim(-0.3, 3.8)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_column_null_space():
    """The rank-1 map [[1, 2], [2, 4], [3, 6]]: null space in, column space out."""
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    n = null_space(a)[:, 0]
    n = n * np.sign(n[0])  # along (2, -1)
    starts = np.array([[0.2, 0.4], [-1.6, 0.4], [1.2, -0.45]])
    colours = [BLUE, ORANGE, GREEN]
    fig = plt.figure(figsize=(6.4, 3.4))
    left = fig.add_subplot(1, 2, 1)
    _plane(left, 2.6, "input: null space")
    t = np.linspace(-3, 3, 2)
    left.plot(t * n[0], t * n[1], color=PINK, linewidth=2)
    left.text(-2.4, 1.45, "null A", color=PINK)
    for x, colour in zip(starts, colours, strict=True):
        y = x + 1.0 * n
        left.plot(*np.stack([x, y]).T, "o-", color=colour, markersize=5)

    right = fig.add_subplot(1, 2, 2, projection="3d")
    line = np.outer(np.linspace(-1.0, 1.4, 2), a[:, 0])
    right.plot(*line.T, color=PINK, linewidth=2)
    for x, colour in zip(starts, colours, strict=True):
        y = a @ x
        right.scatter(*y, color=colour, s=30, depthshade=False)
    right.text(*(1.4 * a[:, 0]), "col A ", color=PINK, ha="right", va="bottom")
    right.set_title("output: column space")
    right.set_xlabel("y₁", labelpad=-12)
    right.set_ylabel("y₂", labelpad=-12)
    right.set_zlabel("y₃", labelpad=-12)
    right.set_xticklabels([])
    right.set_yticklabels([])
    right.set_zticklabels([])
    right.view_init(elev=20, azim=-60)
    fig.tight_layout()
    return fig


def plot_projection():
    """Projection onto the line through (1, 1): P = q q^T."""
    q = np.array([1.0, 1.0]) / np.sqrt(2)
    p = np.outer(q, q)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    _plane(ax, 4.2, "")
    ax.set_xlim(-1.5, 4.5)
    ax.set_ylim(-1.5, 3.5)
    t = np.linspace(-2, 5, 2)
    ax.plot(t, t, color=BLUE, linewidth=2)
    ax.text(3.6, 3.2, "span of q", color=BLUE)
    rng = np.random.default_rng(0)
    for x in rng.uniform([-1, -1], [4, 3], size=(10, 2)):
        y = p @ x
        ax.plot(*np.stack([x, y]).T, color="0.7", linewidth=0.8)
        ax.plot(*x, "o", color="0.6", markersize=3)
    x = np.array([3.0, 1.0])
    y = p @ x
    ax.plot(*np.stack([x, y]).T, "--", color=ORANGE, linewidth=1.5)
    ax.plot(*x, "o", color=ORANGE)
    ax.plot(*y, "o", color=BLUE)
    ax.text(3.1, 0.75, "x = (3, 1)", color=ORANGE)
    ax.text(1.85, 2.15, "Px = (2, 2)", color=BLUE, ha="right")
    # The right angle between the residual and the line, drawn at Px.
    d, r = 0.18 * q, 0.18 * np.array([q[1], -q[0]])
    corner = np.stack([y + r, y + r + d, y + d])
    ax.plot(*corner.T, color="0.2", linewidth=1)
    fig.tight_layout()
    return fig


QUADRATICS = [
    ("positive definite", np.array([[2.0, 1.0], [1.0, 2.0]])),
    ("indefinite", np.array([[1.0, 2.0], [2.0, 1.0]])),
    ("semidefinite", np.array([[1.0, 1.0], [1.0, 1.0]])),
]


def plot_quadratic_forms():
    """Level sets of x^T A x for three matrices, and each form on the circle."""
    fig, grid = plt.subplots(2, 2, figsize=(6.4, 6.2))
    g = np.linspace(-2, 2, 201)
    x1, x2 = np.meshgrid(g, g)
    colours = [BLUE, ORANGE, GREEN]
    for ax, (name, a), colour in zip(
        grid.flat, QUADRATICS, colours, strict=False
    ):
        q = a[0, 0] * x1**2 + 2 * a[0, 1] * x1 * x2 + a[1, 1] * x2**2
        w = np.linalg.eigvalsh(a)
        levels = [0.5, 1, 2, 4, 6] if w.min() >= 0 else [-4, -2, -1, 1, 2, 4]
        contours = ax.contour(x1, x2, q, levels=levels, colors=colour)
        ax.clabel(contours, fontsize=11, fmt="%g")
        if w.min() < 0:
            ax.contour(
                x1, x2, q, levels=[0], colors="0.4", linestyles="dashed"
            )
        values = f"{w[1]:g}, {w[0]:g}".replace("-", "\N{MINUS SIGN}")
        _plane(ax, 2, f"{name}: λ = {values}")
    t = np.linspace(0, np.pi, 200)
    ax = grid[1, 1]
    for (name, a), colour in zip(QUADRATICS, colours, strict=True):
        u = np.stack([np.cos(t), np.sin(t)])
        ax.plot(t, np.einsum("in,ij,jn->n", u, a, u), color=colour, label=name)
    ax.axhline(0, color="0.7", linewidth=0.8)
    ax.set_xticks([0, np.pi / 2, np.pi], ["0", "π/2", "π"])
    ax.set_xlabel("angle t of x = (cos t, sin t)")
    ax.set_ylabel("xᵀAx")
    ax.set_title("on the unit circle")
    ax.set_ylim(-1.3, 6.4)
    ax.legend(fontsize=11, loc="upper right")
    fig.tight_layout()
    return fig


def plot_svd_steps():
    """The unit circle under V^T, then Sigma, then U, for [[3, 0], [4, 5]]."""
    u, s, vt = np.linalg.svd(SVD_EXAMPLE)
    # Signs of a pair (u_i, v_i) are free: u_1 points up, V^T is a rotation.
    if u[1, 0] < 0:
        u[:, 0], vt[0] = -u[:, 0], -vt[0]
    if np.linalg.det(vt) < 0:
        u[:, 1], vt[1] = -u[:, 1], -vt[1]
    point = np.array([np.cos(5.6), np.sin(5.6)])
    steps = [
        ("x: unit circle", np.eye(2)),
        ("Vᵀx: rotated", vt),
        ("ΣVᵀx: stretched", np.diag(s) @ vt),
        ("UΣVᵀx = Ax", SVD_EXAMPLE),
    ]
    fig, grid = plt.subplots(2, 2, figsize=(6.4, 6.2))
    for k, (ax, (title, m)) in enumerate(zip(grid.flat, steps, strict=True)):
        _plane(ax, 1.6 if k < 2 else 7.2, title)
        curve = m @ CIRCLE
        ax.plot(curve[0], curve[1], color=BLUE, linewidth=1.5)
        first, second = m @ vt[0], m @ vt[1]
        names = ("v₁", "v₂") if title.startswith("x") else ("", "")
        if title.startswith("U"):
            names = (r"$\sigma_1 u_1$", r"$\sigma_2 u_2$")
        gap = 0.08 if k < 2 else 0.5
        _arrow_out(ax, first, ORANGE, names[0], gap)
        _arrow_out(ax, second, GREEN, names[1], gap)
        ax.plot(*(m @ point), "o", color=PINK, markersize=6)
    grid[1, 0].text(
        -6.9, -6.9, rf"$\sigma$ = {s[0]:.2f}, {s[1]:.2f}", va="bottom"
    )
    fig.tight_layout()
    return fig
