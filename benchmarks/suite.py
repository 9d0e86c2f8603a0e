"""How long each layer of the tests takes here: the whole suite, the fast layer,
and the one-chapter check of every chapter.

Run from the repository root, on an otherwise idle machine:

    .venv/bin/python benchmarks/suite.py [--skip-full] [--chapters tensors einsum ...]

Each command runs once, as a contributor would type it; the load average is
printed first, since a busy machine makes every figure larger.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def chapters() -> list[str]:
    """The pages that embed a snippets module: the chapters."""
    return sorted(
        page.stem
        for page in (REPO / "docs").glob("*.md")
        if '--8<-- "snippets/' in page.read_text(encoding="utf-8")
    )


def timed(label: str, arguments: list[str]) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments]
    start = time.monotonic()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"{label:<34} {seconds:7.1f} s   {summary}", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-full", action="store_true", help="leave out the whole suite")
    parser.add_argument("--chapters", nargs="*", help="only these chapters' checks")
    options = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not options.skip_full:
        timed("the whole suite", [])
    timed("the fast layer", ["-m", "not site and not browser"])
    for chapter in options.chapters or chapters():
        timed(f"-k {chapter}", ["-k", chapter, "-m", "not site and not browser"])


if __name__ == "__main__":
    main()
