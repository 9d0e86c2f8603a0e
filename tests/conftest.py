"""Shared fixtures: the repository root and one strict build of the site per test run."""

from __future__ import annotations

import importlib.util
import os
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


def load_hook(name: str):
    """Import ``overrides/hooks/<name>.py``: MkDocs loads hooks by path, not as a package."""
    spec = importlib.util.spec_from_file_location(name, REPO / "overrides" / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as MkDocs does; dataclasses look their module up there
    # As MkDocs does too: while it loads, a hook can import the hooks beside it.
    sys.path.insert(0, str(spec.origin and Path(spec.origin).parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return module


@dataclass(frozen=True)
class Build:
    """The result of ``mkdocs build --strict``: where the site is and what it logged."""

    site: Path
    log: str


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Build:
    """Build the site strictly into a temporary folder, once per test session."""
    site = tmp_path_factory.mktemp("site")
    # The first test that needs the site waits minutes for it: say so, past the capture.
    say = request.config.pluginmanager.get_plugin("terminalreporter")
    start = time.monotonic()
    if say is not None:
        say.write_line(f"\nbuilding the site: mkdocs build --strict, notebooks executed ({site})")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    log = result.stdout + result.stderr
    if say is not None:
        say.write_line(f"site built in {time.monotonic() - start:.0f} s")
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    return Build(site=site, log=log)
