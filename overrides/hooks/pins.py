"""MkDocs hook: the versions that ``requirements.txt`` pins, written into the pages.

A page says which versions the book is tested with. Written by hand, that
sentence would go stale with every update of ``requirements.txt`` (Dependabot
opens one a month), or a test comparing the two would fail every such update
until someone edited the page. Instead a page writes ``{pin:numpy}`` and gets
the pinned version, ``2.4.6``, at build time.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.exceptions import PluginError

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"
_PIN = re.compile(r"\{pin:([A-Za-z0-9_.-]+)\}")


def pinned_versions(requirements: str) -> dict[str, str]:
    """``name: version`` for every ``name==version`` line, names in lower case."""
    pins = {}
    for line in requirements.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = (part.strip() for part in line.split("==", 1))
            pins[name.lower()] = version
    return pins


def fill_pins(text: str, pins: dict[str, str], where: str = "a page") -> str:
    """Replace each ``{pin:name}`` of ``text`` by the version ``pins`` gives ``name``."""

    def version(match: re.Match[str]) -> str:
        name = match[1].lower()
        if name not in pins:
            raise PluginError(
                f"{where}: {match[0]} names no package that requirements.txt pins "
                f"(it pins {', '.join(sorted(pins))})"
            )
        return pins[name]

    return _PIN.sub(version, text)


def on_page_markdown(text: str, page, config, files) -> str:
    """MkDocs event: write the pinned versions into the page."""
    if "{pin:" not in text:
        return text
    pins = pinned_versions(REQUIREMENTS.read_text(encoding="utf-8"))
    return fill_pins(text, pins, f"docs/{page.file.src_uri}")
