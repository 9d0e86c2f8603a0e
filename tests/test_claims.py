"""Claims in the prose that no code block prints: each must say where it came from.

A timing depends on the machine and on what else runs on it, so the tests cannot
check it. Every paragraph that quotes one must name the benchmark script that
measured it, the machine and the date (issue 17: timings were quoted as if they
held everywhere, and on another machine they came out 3 to 7 times slower).
"""

from __future__ import annotations

import re

import pytest

from conftest import REPO

DOCS = REPO / "docs"
TIMING = re.compile(
    r"\b\d[\d,.]*\s?(?:ms|µs|us|ns)\b"  # 56 µs, 16 ms
    r"|\b\d[\d,.]*\s?s\b(?! \w+\))"  # 8.3 s
    r"|\b\d[\d,.]* times (?:as long|faster|slower)\b"  # 1.4 times as long
    r"|\(ours / "  # ratios of times: (ours / SciPy's) were 0.99 and 0.67
)
SCRIPT = re.compile(r"benchmarks/\w+\.py")
DATE = re.compile(
    r"\b\d{1,2} (?:January|February|March|April|May|June|July|August|September"
    r"|October|November|December) \d{4}\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"  # or ISO 8601: 2026-11-26
)
MACHINE = re.compile(r"\b\d+-core\b")


def prose_paragraphs(text: str) -> list[str]:
    """The paragraphs of a Markdown page outside fenced code blocks and math."""
    text = re.sub(r"^(\s*)(`{3,}|~{3,}).*?^\1\2\s*$", "", text, flags=re.DOTALL | re.MULTILINE)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.DOTALL)
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def quoted_timings(page) -> list[str]:
    return [p for p in prose_paragraphs(page.read_text(encoding="utf-8")) if TIMING.search(p)]


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_every_quoted_timing_names_its_script_machine_and_date(page):
    for paragraph in quoted_timings(page):
        assert SCRIPT.search(paragraph), f"{page.name}: no benchmark script: {paragraph}"
        assert MACHINE.search(paragraph), f"{page.name}: no machine: {paragraph}"
        assert DATE.search(paragraph), f"{page.name}: no date: {paragraph}"


def test_the_check_finds_the_timings_that_the_chapters_quote():
    # If the pattern stopped matching, the test above would pass vacuously.
    pages = {"einsum.md", "autodiff.md", "numerical-stability.md", "normalization.md"}
    assert {page.name for page in DOCS.glob("*.md") if quoted_timings(page)} >= pages


def test_an_unsourced_timing_is_caught(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("Ours took 56 µs, 1.1 times as long as NumPy's.\n", encoding="utf-8")
    (paragraph,) = quoted_timings(page)
    assert not SCRIPT.search(paragraph) and not DATE.search(paragraph)
