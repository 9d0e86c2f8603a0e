"""Shared fixtures: the repository root and one strict build of the site per test run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent

# On a contributor's machine hypothesis draws new examples on every run, to keep
# finding cases; in CI (CI=true) it draws the same ones every time, so that
# whether a change lands does not depend on chance.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

# Figures drawn while the tests run must never try to open a window.
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-outputs",
        action="store_true",
        help="rewrite each expected-output block of docs/ with what its block now prints",
    )


# (page, the output fence, what the block printed): written when the session ends.
UPDATES: list = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    by_page: dict[str, list] = {}
    for page, fence, printed in UPDATES:
        by_page.setdefault(page, []).append((fence, printed))
    for page, updates in by_page.items():
        path = REPO / page
        lines = path.read_text(encoding="utf-8").split("\n")
        for fence, printed in sorted(updates, key=lambda u: -u[0].start):  # bottom up
            body = [
                fence.indent + line if line else "" for line in printed.rstrip("\n").split("\n")
            ]
            lines[fence.start + 1 : fence.end] = body
        path.write_text("\n".join(lines), encoding="utf-8")
        print(f"\nupdated {len(updates)} expected outputs in {page}")


# The layers, for -m: a test that reads the built site is "site", one that drives
# Chromium is "browser" too; everything else needs neither (the fast layer).
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    embedded = _pages_embedding_each_module()
    for item in items:
        if "built_site" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.site)
        if item.path.name == "test_browser.py":
            item.add_marker(pytest.mark.browser)
        # "-k matrix-calculus" selects that chapter's unit tests too, whatever
        # the module is called: each test of a module matches the pages that embed it.
        topic = item.path.stem.removeprefix("test_")
        item.extra_keyword_matches.update(embedded.get(topic, ()))


def _pages_embedding_each_module() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for page in (REPO / "docs").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        for module in set(re.findall(r"snippets/(\w+)\.py", text)):
            found.setdefault(module, set()).add(page.stem)
    return found


@dataclass(frozen=True)
class Build:
    """The result of ``mkdocs build --strict``: where the site is and what it logged."""

    site: Path
    log: str


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Build:
    """Build the site strictly into a temporary folder, once per test session."""
    # BOOK_SITE_DIR keeps the site where the workflow publishes it from: the folder
    # the tests checked is the folder that is deployed.
    kept = os.environ.get("BOOK_SITE_DIR")
    site = Path(kept).resolve() if kept else tmp_path_factory.mktemp("site")
    # The first test that needs the site waits for it: say so, past pytest's capture.
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def say(line: str) -> None:
        with capture.global_and_fixture_disabled():
            print(line, flush=True)

    start = time.monotonic()
    say(f"\nbuilding the site: mkdocs build --strict, notebooks executed ({site})")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    log = result.stdout + result.stderr
    say(f"site built in {time.monotonic() - start:.0f} s")
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    return Build(site=site, log=log)
