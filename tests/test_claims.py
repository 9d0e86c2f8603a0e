"""No page states a measured time or a ratio of times, or the project's targets.

A timing depends on the machine and on what else runs on it: a reader cannot
rerun a sentence, and ratios measured on a busy machine reversed on a quiet one.
Pages teach what is deterministic (operations, bytes, passes) and name the
benchmark script, which prints times for the reader who runs it.
"""

from __future__ import annotations

import re

import pytest

from conftest import REPO

DOCS = REPO / "docs"
TIMING = re.compile(
    r"\b\d[\d,.]*\s?(?:ms|µs|us|ns)\b"  # 56 µs, 16 ms
    r"|\b\d[\d,]*\.\d+\s?s\b|\b\d[\d,]*\ss\b(?! \w+\))"  # 8.3 s, 12 s (not "1s")
    r"|\b\d[\d,.]* times (?:as long|faster|slower)\b"  # 1.4 times as long
    r"|\(ours / "  # ratios of times: (ours / SciPy's) were 0.99 and 0.67
)
# Words that report on the project rather than teach.
PROJECT_TALK = re.compile(r"\b(?:met|meets|meet) (?:its|the|our) targets?\b|\bthe floors?\b", re.I)


def prose_paragraphs(text: str) -> list[str]:
    """The paragraphs of a Markdown page outside fenced code blocks and math."""
    text = re.sub(r"^(\s*)(`{3,}|~{3,}).*?^\1\2\s*$", "", text, flags=re.DOTALL | re.MULTILINE)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.DOTALL)
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def quoted_timings(page) -> list[str]:
    return [p for p in prose_paragraphs(page.read_text(encoding="utf-8")) if TIMING.search(p)]


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_no_page_quotes_a_timing_or_the_projects_targets(page):
    assert quoted_timings(page) == [], f"{page.name} states a measured time"
    talk = [p for p in prose_paragraphs(page.read_text(encoding="utf-8")) if PROJECT_TALK.search(p)]
    assert talk == [], f"{page.name} speaks of the project's targets"


@pytest.mark.parametrize(
    "sentence",
    [
        "Ours took 56 µs.",
        "It ran in 8.3 s on this machine.",
        "That is 1.4 times as long as NumPy's.",
        "The chapter met its targets.",
    ],
)
def test_a_timing_or_a_target_is_caught(tmp_path, sentence):
    page = tmp_path / "page.md"
    page.write_text(f"# Page\n\n{sentence}\n", encoding="utf-8")
    paragraphs = prose_paragraphs(page.read_text(encoding="utf-8"))
    assert quoted_timings(page) or any(PROJECT_TALK.search(p) for p in paragraphs)


def test_counts_and_code_are_not_timings(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\nAbout n/2 times fewer multiply-adds; run `benchmarks/einsum.py`.\n\n"
        "```python\nprint(f'{t:.1f} s')\n```\n",
        encoding="utf-8",
    )
    assert quoted_timings(page) == []
