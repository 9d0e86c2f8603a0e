"""overrides/hooks/pins.py: pages state the versions that requirements.txt pins."""

from __future__ import annotations

import types

import pytest
from mkdocs.exceptions import PluginError

from conftest import REPO, load_hook

pins = load_hook("pins")

REQUIREMENTS = """\
# The site
mkdocs==1.6.1
PyYAML==6.0.4  # a comment after the pin
numpy>=2  # no pin: left out
torch==2.13.0
"""


def test_pinned_versions_reads_each_exact_pin():
    assert pins.pinned_versions(REQUIREMENTS) == {
        "mkdocs": "1.6.1",
        "pyyaml": "6.0.4",
        "torch": "2.13.0",
    }


def test_a_page_gets_the_pinned_versions():
    text = "Tested with PyTorch {pin:torch} and PyYAML {pin:PyYAML}."
    filled = pins.fill_pins(text, pins.pinned_versions(REQUIREMENTS))
    assert filled == "Tested with PyTorch 2.13.0 and PyYAML 6.0.4."


def test_an_unpinned_name_stops_the_build_naming_the_page():
    with pytest.raises(PluginError, match=r"docs/index.md: \{pin:numpy\} names no package"):
        pins.fill_pins("NumPy {pin:numpy}", pins.pinned_versions(REQUIREMENTS), "docs/index.md")


def test_the_hook_fills_the_home_page_from_the_repository_requirements():
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="index.md"))
    text = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    filled = pins.on_page_markdown(text, page, None, None)
    assert "{pin:" in text and "{pin:" not in filled
    versions = pins.pinned_versions((REPO / "requirements.txt").read_text(encoding="utf-8"))
    assert f"PyTorch {versions['torch']}" in " ".join(filled.split())
