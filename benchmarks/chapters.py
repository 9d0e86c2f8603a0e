"""What each chapter puts in front of a reader, counted from its Markdown.

    python benchmarks/chapters.py [REV]

prints, for every page with a python block: its words (``wc -w`` of the file,
code included), its figures, and the lines of implementation it shows, that is
lines of ``snippets/`` code outside folded setup (below a block's ``# /setup``),
in closed solutions too. With a git revision, it counts that revision's pages
instead (``git show REV:docs/<page>.md``, includes read from the same revision).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from book_build import blocks

REPO = Path(__file__).resolve().parent.parent
_INCLUDE = re.compile(r'^\s*--8<-- "(?P<file>[^":]+)(?::(?P<section>\w+))?"\s*$')


def read(path: str, rev: str | None) -> str:
    if rev is None:
        return (REPO / path).read_text(encoding="utf-8")
    return subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout


def section_lines(file: str, section: str | None, rev: str | None) -> int:
    text = read(file, rev)
    if section is None:
        return len(text.splitlines())
    start, end = f"[start:{section}]", f"[end:{section}]"
    lines, inside = 0, False
    for line in text.splitlines():
        if end in line:
            inside = False
        elif inside and "--8<--" not in line and line.strip():
            lines += 1
        elif start in line:
            inside = True
    return lines


def shown_implementation(page: str, rev: str | None) -> int:
    count = 0
    for fence in blocks.fences(page):
        if fence.language != "python" or fence.is_output:
            continue
        body = fence.body
        marker = [k for k, line in enumerate(body) if line.strip() == blocks.SETUP_MARKER]
        for line in body[marker[0] + 1 :] if marker else body:
            if m := _INCLUDE.match(line):
                count += section_lines(m["file"], m["section"], rev)
    return count


def main(rev: str | None) -> None:
    if rev is None:
        names = sorted(p.name for p in (REPO / "docs").glob("*.md"))
    else:
        listing = subprocess.run(
            ["git", "ls-tree", "--name-only", rev, "docs/"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        names = sorted(Path(p).name for p in listing.split() if p.endswith(".md"))
    print(f"{'page':24s} {'words':>6s} {'figures':>8s} {'implementation lines shown':>27s}")
    for name in names:
        page = read(f"docs/{name}", rev)
        if "```python" not in page:
            continue
        words, figures = len(page.split()), page.count("<figure")
        print(f"{name:24s} {words:6d} {figures:8d} {shown_implementation(page, rev):27d}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
