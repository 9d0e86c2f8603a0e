"""What the tests share: the repository root, mkdocs.yml and its include expander,
the layers and the workers, one strict build of the site per run, and Chromium."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock
from hypothesis import settings

from book_build import blocks

from chromium import CHROMIUM_FLAGS, QuietHandler, chromium_path, serve, watch_problems

REPO = Path(__file__).resolve().parent.parent

# pytest-xdist runs the tests in one worker process per core (pyproject.toml's
# "-n auto"). A worker that also ran an OpenMP pool of one thread per core
# would leave PyTorch's and OpenBLAS's threads waiting on each other's cores:
# each worker computes on one thread. (.ci/run checks the printed outputs once
# more on two threads.)
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ.setdefault("OMP_NUM_THREADS", "1")

# On a contributor's machine hypothesis draws new examples on every run, to keep
# finding cases; in CI (CI=true) it draws the same ones every time, so that
# whether a change lands does not depend on chance.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@functools.cache
def mkdocs_config() -> dict:
    return blocks.mkdocs_config(REPO / "mkdocs.yml")


@functools.cache
def expand(text: str) -> str:
    """``text`` with its ``--8<--`` includes expanded as the site expands them;
    the docs, notebook and browser tests expand the same blocks, once."""
    return _expander()(text)


@functools.cache
def _expander():
    return blocks.snippet_expander(blocks.snippet_options(mkdocs_config()))


# Figures drawn while the tests run must never try to open a window.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    # Each worker would rewrite the pages it ran blocks of: the rewrite runs in one process.
    if config.getoption("update_outputs"):
        config.option.numprocesses = 0


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


LONGEST_FIRST = {
    name: k
    for k, name in enumerate(
        ["test_tours.py", "test_docs.py", "test_notebooks.py", "test_browser.py"]
    )
}


# The layers, for -m: a test that reads the built site is "site", one that drives
# Chromium is "browser" too; everything else needs neither (the fast layer).
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The longest modules first: xdist hands out one module at a time, in this
    # order (pyproject.toml), so that the page tours start at once, building the
    # site, while another worker runs the docs blocks and the notebooks.
    items.sort(key=lambda item: LONGEST_FIRST.get(item.path.name, len(LONGEST_FIRST)))
    embedded = _pages_embedding_each_module()
    for item in items:
        if "built_site" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.site)
        if "browser" in getattr(item, "fixturenames", ()):
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
    """Build the site strictly, once per test run: the first xdist worker that
    needs it builds it, and the others wait for that build and read it."""
    run = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        run = run.parent  # each worker's folder sits in the run's
    # BOOK_SITE_DIR keeps the site where the workflow publishes it from: the folder
    # the tests checked is the folder that is deployed.
    kept = os.environ.get("BOOK_SITE_DIR")
    site = Path(kept).resolve() if kept else run / "site"
    record = run / "site-build.json"
    with FileLock(run / "site-build.lock"):
        if not record.is_file():
            record.write_text(json.dumps(build(site, request.config)), encoding="utf-8")
    result = json.loads(record.read_text(encoding="utf-8"))
    assert result["returncode"] == 0, f"mkdocs build --strict failed:\n{result['log']}"
    return Build(site=site, log=result["log"])


def build(site: Path, config: pytest.Config) -> dict:
    # Whoever builds waits for it: say so, past pytest's capture, on stderr (an
    # xdist worker's stdout is its pipe to pytest).
    capture = config.pluginmanager.get_plugin("capturemanager")

    def say(line: str) -> None:
        with capture.global_and_fixture_disabled():
            print(line, file=sys.stderr, flush=True)

    start = time.monotonic()
    say(f"\nbuilding the site: mkdocs build --strict, notebooks executed ({site})")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    say(f"site built in {time.monotonic() - start:.0f} s")
    return {"returncode": result.returncode, "log": result.stdout + result.stderr}


# --- Chromium (tests/test_tours.py and tests/test_browser.py) ---------------------


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing; .ci/run installs it with apt")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(built_site):
    """The built site on 127.0.0.1, on a free port, for the duration of the module."""
    httpd, base = serve(QuietHandler, built_site.site)
    yield base
    httpd.shutdown()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    tab = context.new_page()
    watch_problems(tab, server)
    yield tab
    context.close()
