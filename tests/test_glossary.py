"""overrides/hooks/glossary.py: the glossary page and the tooltips come from one file."""

from __future__ import annotations

import re

from conftest import REPO, load_hook

glossary = load_hook("glossary")

ABBREVIATIONS = REPO / "docs" / "includes" / "abbreviations.md"


def test_every_line_of_the_abbreviations_file_is_an_entry():
    lines = [line for line in ABBREVIATIONS.read_text(encoding="utf-8").splitlines() if line]
    assert lines and all(re.match(r"^\*\[[^\]]+\]: \S", line) for line in lines)


def test_glossary_table_lists_each_definition_once_alphabetically(tmp_path):
    source = tmp_path / "abbreviations.md"
    source.write_text("*[VJP]: vector-Jacobian product\n*[AD]: autodiff\n*[ADs]: autodiff\n")
    table = glossary.glossary_table(source).splitlines()
    assert table[:2] == ["| Term | Meaning |", "| --- | --- |"]
    assert table[2:] == ["| AD | autodiff |", "| VJP | vector-Jacobian product |"]


def test_built_glossary_and_tooltips(built_site):
    page = (built_site.site / "glossary.html").read_text(encoding="utf-8")
    assert "<!-- glossary -->" not in page and "Jacobian-vector product" in page
    chapter = (built_site.site / "autodiff.html").read_text(encoding="utf-8")
    assert re.search(r'<abbr title="Jacobian-vector product[^"]*">JVP</abbr>', chapter)
