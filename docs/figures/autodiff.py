"""Figures of the automatic differentiation chapter, drawn by book_build/figures.py."""

import matplotlib.pyplot as plt

# The chapter's running example, z = x y + (x + y)^2 at (x, y) = (2, 3): for
# each node, where it sits, its operation, its value and its adjoint dz/dnode.
NODES = {
    "x": ((0.0, 2.2), "x", 2, 13),
    "y": ((0.0, 0.0), "y", 3, 12),
    "a": ((2.1, 2.2), "a = x·y", 6, 1),
    "b": ((2.1, 0.0), "b = x + y", 5, 10),
    "c": ((4.5, 0.0), "c = b²", 25, 1),
    "z": ((6.1, 1.1), "z = a + c", 31, 1),
}
# Each edge with its local derivative d(end)/d(start) at the point.
EDGES = {
    ("x", "a"): "y = 3",
    ("y", "a"): "x = 2",
    ("x", "b"): "1",
    ("y", "b"): "1",
    ("b", "c"): "2b = 10",
    ("a", "z"): "1",
    ("c", "z"): "1",
}


def plot_graph():
    """The graph of z = x y + (x + y)^2 with its values and adjoints at (2, 3)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for (start, end), local in EDGES.items():
        (x0, y0), (x1, y1) = NODES[start][0], NODES[end][0]
        # The label halfway along; on the two edges that cross, nearer the start.
        t, dx, dy = (
            (0.3, 0.12, 0.0) if x0 == 0 and y0 != y1 else (0.5, 0.0, 0.12)
        )
        ax.text(
            x0 + t * (x1 - x0) + dx,
            y0 + t * (y1 - y0) + dy,
            local,
            ha="left" if dx else "center",
            va="center" if dx else "bottom",
            fontsize=11,
            color="0.35",
            style="italic",
        )
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            # Stop each arrow at the edge of its node's box, which grows with the text.
            arrowprops={
                "arrowstyle": "-|>",
                "color": "0.35",
                "shrinkA": 14 + 3.2 * len(NODES[start][1]),
                "shrinkB": 14 + 3.2 * len(NODES[end][1]),
            },
        )
    for name, ((x, y), label, value, adjoint) in NODES.items():
        leaf = name in ("x", "y")
        ax.text(
            x,
            y,
            f"{label}\n= {value}" if not leaf else f"{label} = {value}",
            ha="center",
            va="center",
            fontsize=13,
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": "#dbe4ff" if leaf else "#fff3bf",
                "edgecolor": "0.3",
            },
        )
        # The adjoint, in the colour of the reverse pass, under the node.
        ax.text(
            x,
            y - 0.72,
            f"{name}̄ = {adjoint}",
            ha="center",
            va="center",
            fontsize=13,
            color="#c92a2a",
            fontweight="bold",
        )
    ax.text(
        3.1,
        3.25,
        "in a box: value (forward pass); under it: adjoint ∂z/∂node (reverse pass);"
        "\non an arrow: local derivative",
        ha="center",
        va="center",
        fontsize=11,
    )
    ax.set_xlim(-0.6, 6.9)
    ax.set_ylim(-1.1, 3.5)
    ax.axis("off")
    fig.tight_layout()
    return fig
