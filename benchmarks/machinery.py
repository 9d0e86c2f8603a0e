"""The lines of the book's build machinery, file by file: the build package, any
MkDocs hooks, the JavaScript, the stylesheets and the theme templates.

Run from the repository root:

    .venv/bin/python benchmarks/machinery.py [--base REV]

Counts the working tree; with ``--base`` also that commit, side by side, with
the files each has that the other does not. Lines are counted as ``wc -l`` does.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MACHINERY = re.compile(
    r"^(book_build/[^/]+\.py|overrides/.*\.(py|html)|docs/assets/(javascripts|stylesheets)/[^/]+\.(js|css))$"
)


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout


def read(name: str, rev: str | None) -> bytes | None:
    """A file's bytes at ``rev``, or in the working tree (None where it is gone)."""
    if rev is None:
        path = REPO / name
        return path.read_bytes() if path.is_file() else None
    return subprocess.run(
        ["git", "show", f"{rev}:{name}"], cwd=REPO, check=True, capture_output=True
    ).stdout


def counts(rev: str | None) -> dict[str, int]:
    """Lines of each machinery file at ``rev``, or in the working tree (tracked and new files)."""
    if rev is None:
        files = git("ls-files", "--cached", "--others", "--exclude-standard").split("\n")
    else:
        files = git("ls-tree", "-r", "--name-only", rev).split("\n")
    found = {}
    for name in filter(MACHINERY.match, files):
        if (data := read(name, rev)) is not None:
            found[name] = data.count(b"\n")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="a commit to compare with")
    args = parser.parse_args()
    now = counts(None)
    if args.base is None:
        for name, lines in sorted(now.items()):
            print(f"{lines:6}  {name}")
        print(f"{sum(now.values()):6}  total")
        return
    before = counts(args.base)
    print(f"{args.base:>8}  {'now':>6}  file")
    for name in sorted(before.keys() | now.keys()):
        old, new = before.get(name), now.get(name)
        print(f"{'-' if old is None else old:>8}  {'-' if new is None else new:>6}  {name}")
    print(f"{sum(before.values()):>8}  {sum(now.values()):>6}  total")


if __name__ == "__main__":
    main()
