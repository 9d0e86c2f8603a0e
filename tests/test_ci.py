"""The project's own machinery: the README's commands, .ci/run, the GitHub
workflow, the pinned requirements and a ruff-clean tree."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sysconfig

import pytest
import yaml

from book_build import pages

from conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "docs.yml"
SHA_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def quick_start_commands() -> list[str]:
    """The shell commands in the README's Quick start section, before its subsections."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n#", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]


CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"


def test_readme_quick_start_is_two_commands():
    serve, test = quick_start_commands()
    for command in (serve, test):
        assert "\n" not in command
        # PyTorch's CPU build on Linux, without a detour through the CUDA build.
        assert command.startswith(
            f"python3 -m venv .venv && .venv/bin/pip install {CPU_INDEX} -r requirements.txt"
        )
    assert serve.endswith("mkdocs serve -a 127.0.0.1:8000")
    assert test.endswith("python -m pytest")


def test_readme_chapter_table_follows_the_nav():
    with open(REPO / "mkdocs.yml", encoding="utf-8") as handle:
        nav = yaml.load(handle, Loader=yaml.BaseLoader)["nav"]

    def files(entries) -> list[str]:
        found = []
        for entry in entries:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            found += files(value) if isinstance(value, list) else [value]
        return found

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Chapters", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`docs/" in line]
    listed = [re.search(r"`docs/([^`]+)`", row).group(1) for row in rows]
    assert listed == [page for page in files(nav) if page in listed]


def test_ci_runs_the_readme_test_command_in_its_own_environment():
    test_command = quick_start_commands()[1]
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in script.splitlines() if line and not line.lstrip().startswith("#")]
    assert test_command.replace(".venv", ".ci-venv") in commands
    # Then the docs blocks once more under another numeric configuration.
    # (The suite's workers compute on one thread each: tests/conftest.py.)
    assert "OMP_NUM_THREADS=2" in commands[-2] and commands[-1].endswith("-n 0 tests/test_docs.py")
    # The contributor's .venv (and the pre-commit installed there) stays as it was.
    assert not any(re.search(r"(?<![\w-])\.venv\b", command) for command in commands)


def test_requirements_pin_every_dependency():
    lines = (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    # "-e .": the book's own build package, from this folder.
    requirements = [line for line in lines if line.strip() and line[0] not in "#-"]
    assert "-e ." in lines
    assert requirements, "requirements.txt lists nothing"
    for requirement in requirements:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.+-]*", requirement), requirement
    # Dependabot moves the pins; nothing here repeats a version by hand.
    assert any(requirement.startswith("torch==") for requirement in requirements)


def test_build_outputs_and_environments_are_ignored():
    ignored = subprocess.run(
        [
            "git",
            "check-ignore",
            "site/index.html",
            ".venv/bin/python",
            ".ci-venv/bin/python",
            "snippets/__pycache__/x.pyc",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert len(ignored.stdout.split()) == 4, ignored.stdout


def load_workflow() -> dict:
    with open(WORKFLOW, encoding="utf-8") as handle:
        # BaseLoader keeps "on" a string instead of YAML 1.1's boolean True.
        return yaml.load(handle, Loader=yaml.BaseLoader)


def test_workflow_tests_builds_and_deploys_with_least_permissions():
    workflow = load_workflow()
    assert set(workflow["on"]) >= {"pull_request", "push"}
    assert workflow["permissions"] == {"contents": "read"}
    assert "group" in workflow["concurrency"]
    # Cancelling a run of main could stop a Pages deploy halfway: pull requests only.
    assert workflow["concurrency"]["cancel-in-progress"] == (
        "${{ github.event_name == 'pull_request' }}"
    )
    jobs = workflow["jobs"]
    assert "bash .ci/run" in [step.get("run") for step in jobs["test"]["steps"]]
    # One artifact from test to Pages: the site the tests built and checked (kept by
    # BOOK_SITE_DIR) is the folder uploaded, and nothing builds it again.
    assert "build" not in jobs
    assert jobs["test"]["env"]["BOOK_SITE_DIR"].startswith("${{")
    upload = [s for s in jobs["test"]["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert len(upload) == 1 and upload[0]["with"]["path"] == "site"
    deploy = jobs["deploy"]
    assert deploy["needs"] == "test"
    assert "push" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any("deploy-pages" in step.get("uses", "") for step in deploy["steps"])
    # Only the notebooks job may write, and only to push the notebooks branch.
    assert jobs["notebooks"]["permissions"] == {"contents": "write"}
    assert "push" in jobs["notebooks"]["if"]
    for name, job in jobs.items():
        if name not in ("deploy", "notebooks"):
            assert "permissions" not in job, f"job {name} widens the permissions"


def test_workflow_tests_every_python_the_readme_names_with_a_pip_cache():
    jobs = load_workflow()["jobs"]
    versions = jobs["test"]["strategy"]["matrix"]["python-version"]
    assert versions == ["3.11", "3.12", "3.13"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"Python {versions[0]}, {versions[1]} or {versions[2]}" in " ".join(readme.split())
    for name in ("test", "notebooks"):
        (setup,) = [s for s in jobs[name]["steps"] if "setup-python" in s.get("uses", "")]
        assert setup["with"]["cache"] == "pip", f"job {name} downloads every wheel again"


def test_workflow_actions_are_pinned_by_commit():
    for job in load_workflow()["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert SHA_PINNED.match(step["uses"]), step["uses"]


# Where pip installed the requirements' command-line tools (bin/, or Scripts\\ on Windows).
BIN = sysconfig.get_path("scripts")


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess:
    """Run a command-line tool that requirements.txt installs into this environment."""
    path = shutil.which(name, path=BIN)
    if path is None:
        pytest.fail(f"{name} is missing; it is installed from requirements.txt")
    return subprocess.run(
        [path, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
    )


def test_workflow_passes_actionlint():
    # actionlint checks the run: scripts with shellcheck when it finds it on PATH.
    result = run_tool("actionlint", "-verbose", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Rule "shellcheck" was disabled' not in result.stderr


def test_ci_script_passes_shellcheck():
    result = run_tool("shellcheck", str(REPO / ".ci" / "run"))
    assert result.returncode == 0, result.stdout


def test_tree_is_ruff_clean():
    lint = run_tool("ruff", "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout
    formatting = run_tool("ruff", "format", "--check", "--no-cache", ".")
    assert formatting.returncode == 0, formatting.stdout


def test_contributor_files_are_in_place():
    contributing = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "## Add a chapter in five steps" in contributing
    assert all(f"{k}. **" in contributing for k in range(1, 6))
    assert "- [ ]" in (REPO / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    templates = {p.name for p in (REPO / ".github" / "ISSUE_TEMPLATE").glob("*.yml")}
    assert {"erratum.yml", "new-topic.yml"} <= templates
    dependabot = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert {u["package-ecosystem"] for u in dependabot["updates"]} == {"pip", "github-actions"}
    hooks = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    ids = {hook["id"] for repo in hooks["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "trailing-whitespace", "end-of-file-fixer"} <= ids
    licence = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "CC BY-SA 4.0" in licence


LATEST = REPO / ".github" / "workflows" / "latest.yml"


def test_latest_workflow_runs_everything_weekly_against_the_newest_libraries():
    with open(LATEST, encoding="utf-8") as handle:
        workflow = yaml.load(handle, Loader=yaml.BaseLoader)
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (schedule,) = workflow["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert minute.isdigit() and hour.isdigit(), "at one time of day"
    assert (day, month) == ("*", "*") and weekday.isdigit(), "once a week"
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["env"]["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    (job,) = workflow["jobs"].values()
    assert "permissions" not in job
    runs = [step.get("run", "") for step in job["steps"]]
    install = next(run for run in runs if "requirements.txt" in run).splitlines()
    assert install[0] == "python -m pip install -r requirements.txt"
    assert install[1] == "python -m pip install --upgrade numpy scipy torch"
    assert runs[-1] == 'python -m pytest -m "not browser"'
    for step in job["steps"]:
        if "uses" in step:
            assert SHA_PINNED.match(step["uses"]), step["uses"]


def test_latest_workflow_passes_actionlint():
    result = run_tool("actionlint", "-verbose", str(LATEST))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Rule "shellcheck" was disabled' not in result.stderr


def test_home_page_states_the_versions_that_the_workflow_and_requirements_test():
    # The package versions come from requirements.txt at build time ({pin:name}), so
    # that Dependabot's updates change the page with them; the Python versions are
    # the workflow's matrix, which no update changes.
    pins = pages.pinned_versions((REPO / "requirements.txt").read_text(encoding="utf-8"))
    *older, newest = load_workflow()["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    python = f"{', '.join(older)} and {newest}" if older else newest
    stated = (
        f"tested with Python {python}, NumPy {pins['numpy']}, SciPy {pins['scipy']}"
        f" and PyTorch {pins['torch']}"
    )
    text = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    home = " ".join(pages.fill_pins(text, pins).split())
    assert stated in home, f"docs/index.md should say: {stated}"
    assert "{pin:" in text  # not written by hand
