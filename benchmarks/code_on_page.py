"""How much code each page puts in front of a reader, counted on the built site.

    python benchmarks/code_on_page.py [SITE_DIR]

builds the site into a temporary folder unless SITE_DIR (a built site) is
given, then prints for every page with code blocks:

* visible: lines of code and output shown without opening anything (not in a
  closed ``<details>``, not among a block's hidden setup lines);
* repeats: visible code lines that repeat code visible earlier on the same
  page: each line of a run of 3 consecutive non-blank lines (imports left
  out) that appeared, in the same order, earlier on the page. Single lines
  repeat by nature (``raise ValueError(``, ``x = as_tensor(x)``); a repeated
  run is setup or an implementation shown twice;
* long: open blocks that show more than 60 lines (the longest in brackets);
* wide: visible lines longer than 80 characters, about what the content
  column holds at 1280 px in the theme's code font (tests/test_browser.py
  measures the real widths).

Exits with status 1 when any page has a repeat, a long block or a wide line.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parent.parent
MAX_LINES, MAX_WIDTH, RUN = 60, 80, 3


def visible_lines(code) -> list[str]:
    """The lines of a ``<code>`` element that show without a click."""
    for hidden in code.select("template.la-setup, .la-setup[hidden], .la-setup-toggle"):
        hidden.decompose()
    return code.get_text().rstrip("\n").split("\n")


def repeated_lines(lines: list[str], seen: set[tuple[str, ...]]) -> set[int]:
    """Indices of ``lines`` in a run of ``RUN`` that ``seen`` holds; adds the block's runs."""
    kept = [
        (k, line.strip())
        for k, line in enumerate(lines)
        if line.strip() and not line.strip().startswith(("import ", "from "))
    ]
    runs = [tuple(kept[k : k + RUN]) for k in range(len(kept) - RUN + 1)]
    repeated = set()
    for run in runs:
        if tuple(text for _, text in run) in seen:
            repeated.update(k for k, _ in run)
    seen.update(tuple(text for _, text in run) for run in runs)
    return repeated


def is_open(element) -> bool:
    """Whether no closed ``<details>`` holds ``element``."""
    return all(d.has_attr("open") for d in element.find_parents("details"))


def measure(page: Path) -> dict | None:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article") or soup
    blocks = [c for c in article.select("pre > code") if is_open(c)]
    if not blocks:
        return None
    seen: set[tuple[str, ...]] = set()
    result = {"visible": 0, "repeats": 0, "long": [], "wide": 0}
    for code in blocks:
        is_output = code.find_parent(class_="la-output") is not None
        lines = visible_lines(code)
        result["visible"] += len(lines)
        if len(lines) > MAX_LINES:
            result["long"].append(len(lines))
        result["wide"] += sum(len(line) > MAX_WIDTH for line in lines)
        if not is_output:
            result["repeats"] += len(repeated_lines(lines, seen))
    return result


def main(argv: list[str]) -> int:
    if argv:
        site = Path(argv[0])
    else:
        site = Path(tempfile.mkdtemp()) / "site"
        subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(site)], cwd=REPO, check=True
        )
    totals = {"visible": 0, "repeats": 0, "long": 0, "wide": 0}
    print(f"{'page':32} {'visible':>8} {'repeats':>8} {'long':>10} {'wide':>6}")
    for page in sorted(site.glob("*.html")):
        if page.name in {"print_page.html", "404.html"}:
            continue
        result = measure(page)
        if result is None:
            continue
        longest = f"{len(result['long'])} ({max(result['long'])})" if result["long"] else "0"
        row = (result["visible"], result["repeats"], longest, result["wide"])
        print(f"{page.name:32} {row[0]:8} {row[1]:8} {row[2]:>10} {row[3]:6}")
        for key in totals:
            totals[key] += len(result[key]) if key == "long" else result[key]
    row = (totals["visible"], totals["repeats"], totals["long"], totals["wide"])
    print(f"{'all pages':32} {row[0]:8} {row[1]:8} {row[2]:>10} {row[3]:6}")
    return 1 if totals["repeats"] or totals["long"] or totals["wide"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
