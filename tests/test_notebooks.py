"""overrides/hooks/notebooks.py: every chapter as a notebook, executed top to bottom."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from mkdocs.config import load_config
from nbclient import NotebookClient

from conftest import REPO, load_hook

notebooks = load_hook("notebooks")

CONFIG = load_config(str(REPO / "mkdocs.yml"))
CHAPTERS = notebooks.chapter_notebooks(REPO / "docs", CONFIG)


def test_every_page_with_python_code_gets_a_notebook():
    pages = {p.name for p in (REPO / "docs").glob("*.md") if "```python" in p.read_text()}
    assert {Path(uri).name for uri in CHAPTERS} == pages
    assert len(CHAPTERS) >= 6


@pytest.mark.parametrize("uri", sorted(CHAPTERS))
def test_notebook_holds_prose_and_expanded_code(uri):
    notebook = CHAPTERS[uri]
    nbformat.validate(notebook)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    source = (REPO / "docs" / uri).read_text(encoding="utf-8")
    assert len(code) == source.count("```python")
    assert not any("--8<--" in c for c in code), "an include was not expanded"
    assert "pytest-codeblocks" not in prose and "*[" not in prose
    title = source.splitlines()[0].removeprefix("# ")
    assert f"# {title}" in prose
    # Relative links would break outside the site: they point at the published pages.
    assert "](figures/" not in prose and ".md)" not in prose


def test_page_conversion_details():
    text = "\n".join(
        [
            "# Title",
            "Some $x$ and a [link](tensors.md#broadcasting) and ![fig](figures/a.svg).",
            '=== "NumPy"',
            "",
            "    ```python",
            "    print(1)",
            "    ```",
            "",
            "    <!--pytest-codeblocks:expected-output-->",
            "",
            "    ```text",
            "    1",
            "    ```",
            "",
            '??? success "Solution"',
            "",
            "    Indented prose.",
            "*[x]: a tooltip",
        ]
    )
    nb = notebooks.page_to_notebook(
        text, "https://example.org/book/", "https://example.org/book/t/"
    )
    kinds = [c.cell_type for c in nb.cells]
    assert kinds == ["markdown", "markdown", "code", "markdown"]
    assert nb.cells[2].source == "print(1)"
    assert "https://example.org/book/tensors.html#broadcasting" in nb.cells[1].source
    assert "https://example.org/book/figures/a.svg" in nb.cells[1].source
    assert "**NumPy**" in nb.cells[1].source
    assert nb.cells[3].source == "**Solution**\n\nIndented prose."


def test_colab_link_opens_the_published_branch():
    url = notebooks.colab_url("https://github.com/owner/repo", "einsum.md")
    assert url == "https://colab.research.google.com/github/owner/repo/blob/notebooks/einsum.ipynb"


@pytest.mark.parametrize("uri", sorted(CHAPTERS))
def test_notebook_runs_top_to_bottom(uri, tmp_path):
    notebook = nbformat.from_dict(CHAPTERS[uri])
    # A fresh folder as the working directory, as for a reader who downloaded it.
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert errors == []
