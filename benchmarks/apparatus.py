"""Count the book's scholarly apparatus and small fixes in a built site (issue 16).

Run from the repository root on a site already built (no build of its own):

    .venv/bin/mkdocs build -q -d /tmp/site
    .venv/bin/python benchmarks/apparatus.py /tmp/site

It prints one line per measure, read from the HTML alone:

- DOI/arXiv links on the references page, and its entries (list items) with
  and without an id;
- citations in the chapters' text, "(Vaswani et al. 2017)" or "Glorot and
  Bengio (2010)", linked to an entry and not linked;
- the glossary's rows, and the chapters that show at least one tooltip;
- tooltips drawn inside headings, links or code (there should be none);
- the pages whose text mentions an "outline" (the print page, which repeats
  every chapter, is left out);
- the links in the 404 page's content, and whether it has a search form;
- the tab sets that put PyTorch before NumPy;
- the display equations that carry a number.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bs4 import BeautifulSoup

# "26 November 2026" is a date, not a citation.
MONTH = (
    "(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\b"
)
CITATION = re.compile(
    rf"\b(?!{MONTH})[A-Z][a-z]+(?: et al\.| and [A-Z][a-z]+)?,? \(?(?:19|20)\d\d\)?"
)
DOI_OR_ARXIV = re.compile(r"^https://(?:doi\.org/|arxiv\.org/abs/)")


def article(path: Path) -> BeautifulSoup:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return soup.select_one("article") or soup


def prose_without(tag, *selectors: str) -> str:
    """The text of ``tag`` without the elements that ``selectors`` match."""
    copy = BeautifulSoup(str(tag), "html.parser")
    for selector in selectors:
        for element in copy.select(selector):
            element.decompose()
    return " ".join(copy.get_text(" ").split())


def measure(site: Path) -> dict[str, object]:
    pages = sorted(p for p in site.glob("*.html") if p.name not in ("404.html", "print_page.html"))
    # The chapters are the pages that get a notebook (book_build/notebooks.py).
    chapters = [site / f"{nb.stem}.html" for nb in sorted((site / "notebooks").glob("*.ipynb"))]
    chapters = [p for p in chapters if p.is_file()]  # a page not in this build yet
    references = article(site / "references.html")
    documentation = {id(li) for li in references.select("h2#library-documentation + ul > li")}
    entries = [li for li in references.select("ul > li") if id(li) not in documentation]
    results: dict[str, object] = {
        "DOI/arXiv links on the references page": sum(
            1 for a in references.select("a[href]") if DOI_OR_ARXIV.match(a["href"])
        ),
        "reference entries with an id": sum(1 for li in entries if li.get("id")),
        "reference entries without an id": sum(1 for li in entries if not li.get("id")),
    }
    linked = unlinked = 0
    for page in pages:
        if page.name == "references.html":
            continue
        body = article(page)
        linked += sum(1 for a in body.select("a[href*='references.html#']"))
        unlinked += len(CITATION.findall(prose_without(body, "a", "pre", "code", "math")))
    results["citations linked to their entry"] = linked
    results["citations not linked"] = unlinked
    glossary = article(site / "glossary.html")
    results["glossary rows"] = len(glossary.select("table tbody tr"))
    results["chapters with a tooltip"] = (
        f"{sum(1 for p in chapters if article(p).select('abbr'))} of {len(chapters)}"
    )
    stray = "h1 abbr, h2 abbr, h3 abbr, h4 abbr, h5 abbr, h6 abbr, a abbr, code abbr, pre abbr"
    results["tooltips in headings, links or code"] = sum(
        len(article(p).select(stray)) for p in pages
    )
    outline = [p.name for p in pages if re.search(r"\boutline\b", article(p).get_text(), re.I)]
    results["pages mentioning an outline"] = f"{len(outline)} {outline if outline else ''}".strip()
    pytorch_first = 0
    for page in pages:
        for labels in article(page).select(".tabbed-labels"):
            names = [label.get_text(strip=True) for label in labels.select("label")]
            if "NumPy" in names and "PyTorch" in names:
                pytorch_first += names.index("PyTorch") < names.index("NumPy")
    results["tab sets with PyTorch before NumPy"] = pytorch_first
    results["numbered equations"] = sum(
        len(article(p).select(".equation .equation__number")) for p in pages
    )
    return results


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not (Path(argv[0]) / "index.html").is_file():
        print(__doc__)
        return 2
    for name, value in measure(Path(argv[0])).items():
        print(f"{name:42s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
