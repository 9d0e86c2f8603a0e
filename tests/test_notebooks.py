"""book_build/notebooks.py: every chapter as a notebook, executed top to bottom."""

from __future__ import annotations

import ast
import contextlib
import functools
import io

import nbformat
import pytest
from bs4 import BeautifulSoup
from IPython.core.interactiveshell import InteractiveShell

from book_build import blocks, notebooks

from conftest import REPO, expand, mkdocs_config

CHAPTERS = sorted(
    p.name for p in (REPO / "docs").glob("*.md") if notebooks.is_chapter(p.read_text("utf-8"))
)


@functools.cache
def notebook_of(uri: str) -> nbformat.NotebookNode:
    text = (REPO / "docs" / uri).read_text(encoding="utf-8")
    return notebooks.chapter_notebook(text, uri, expand, mkdocs_config()["site_url"])


def test_every_page_with_python_code_gets_a_notebook():
    pages = {p.name for p in (REPO / "docs").glob("*.md") if "```python" in p.read_text()}
    found = notebooks.chapter_notebooks(REPO / "docs", expand, mkdocs_config()["site_url"])
    assert set(found) == pages == set(CHAPTERS)
    assert len(found) >= 6


@pytest.mark.parametrize("uri", CHAPTERS)
def test_notebook_holds_prose_and_expanded_code(uri):
    notebook = notebook_of(uri)
    nbformat.validate(notebook)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    source = (REPO / "docs" / uri).read_text(encoding="utf-8")
    assert len(code) == source.count("```python")
    assert not any("--8<--" in c for c in code), "an include was not expanded"
    # Each implementation is defined once, in the cell where the page shows it.
    definitions = [
        ast.get_source_segment(cell, node)
        for cell in code
        for node in ast.parse(cell).body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    ]
    repeated = {d.split("\n")[0] for d in definitions if definitions.count(d) > 1}
    assert not repeated, f"defined again in a later cell: {sorted(repeated)}"
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
        text, "https://example.org/book/", "https://example.org/book/t/", ["print(1)"]
    )
    kinds = [c.cell_type for c in nb.cells]
    assert kinds == ["markdown", "markdown", "code", "markdown"]
    assert nb.cells[2].source == "print(1)"
    assert "https://example.org/book/tensors.html#broadcasting" in nb.cells[1].source
    assert "https://example.org/book/figures/a.svg" in nb.cells[1].source
    assert "**NumPy**" in nb.cells[1].source
    assert nb.cells[3].source == "**Solution**\n\nIndented prose."


def test_the_bar_opens_a_chapter_from_the_published_branch_and_a_lab_from_its_file():
    repo, edit = "https://github.com/owner/repo", "edit/main/docs/"
    colab = "https://colab.research.google.com/github/owner/repo/blob"
    text = notebooks.with_chapter_bar("# T\n\nProse.", "tensors.md", repo)
    assert text.startswith("# T\n\n[Download as a notebook](notebooks/tensors.ipynb)")
    assert f"({colab}/notebooks/tensors.ipynb)" in text and "(notation.md)" in text
    html = notebooks.with_notebook_bar("<h1>Lab</h1><p>text</p>", "labs/lab.ipynb", repo, edit)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.h1.find_next_sibling().name == "p"
    links = {a.get_text(): a for a in soup.select("h1 + p a.md-button")}
    assert links["Download as a notebook"]["href"] == "../labs/lab.ipynb"
    assert links["Download as a notebook"].has_attr("download")
    assert links["Open in Colab"]["href"] == f"{colab}/main/docs/labs/lab.ipynb"
    assert links["Notation"]["href"] == "../notation.html"


@pytest.fixture(scope="module")
def shell():
    """IPython, which runs a notebook's cells in Jupyter, here in this process: a
    kernel of its own would start and import PyTorch again for every notebook.
    A final expression is not echoed; in Jupyter it is a result, not printed text."""
    return InteractiveShell.instance(ast_node_interactivity="none")


@pytest.mark.parametrize("uri", CHAPTERS)
def test_notebook_runs_top_to_bottom(uri, shell, tmp_path, monkeypatch):
    # Each cell defines only what its block adds, yet prints what the page shows.
    programs = blocks.page_programs((REPO / "docs" / uri).read_text(encoding="utf-8"), expand)
    # A fresh namespace, and a fresh folder as the working directory, as for a
    # reader who downloaded the notebook.
    shell.reset(new_session=True)
    monkeypatch.chdir(tmp_path)
    cells = [c for c in notebook_of(uri).cells if c.cell_type == "code"]
    printed = []
    for number, cell in enumerate(cells, start=1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            result = shell.run_cell(cell.source, store_history=False)
        if not result.success:
            error = result.error_in_exec or result.error_before_exec
            pytest.fail(f"{uri}: code cell {number} raised {error!r}\n{out.getvalue()}")
        printed.append(out.getvalue())
    assert len(cells) == len(programs)
    for text, program in zip(printed, programs, strict=True):
        if program.output is not None:
            expected = "\n".join(program.output.body).strip("\n")
            assert text.strip("\n") == expected, f"{uri}:{program.fence.start + 1}"


def test_the_same_page_always_makes_the_same_notebook():
    text = "# T\n\nProse.\n\n```python\nprint(1)\n```\n\nMore.\n\n```python\nprint(2)\n```\n"
    site, page = "https://example.org/book/", "https://example.org/book/t.html"
    first, second = (
        notebooks.page_to_notebook(text, site, page, ["print(1)", "print(2)"]) for _ in range(2)
    )
    assert nbformat.writes(first) == nbformat.writes(second)
    assert [cell.id for cell in first.cells] == [f"cell-{k}" for k in range(len(first.cells))]
    assert len(first.cells) >= 4  # the intro, prose and both code cells
    nbformat.validate(first)
