"""overrides/hooks/serve.py and kernels.py: mkdocs serve rebuilds in seconds, builds stay whole."""

from __future__ import annotations

import types
from pathlib import Path

import yaml

from conftest import REPO, load_hook

serve = load_hook("serve")


def test_serve_watches_snippets_and_overrides_and_runs_the_hooks():
    with open(REPO / "mkdocs.yml", encoding="utf-8") as handle:
        config = yaml.load(handle, Loader=yaml.BaseLoader)
    assert {"snippets", "overrides"} <= set(config["watch"])
    assert {"overrides/hooks/serve.py", "overrides/hooks/kernels.py"} <= set(config["hooks"])
    assert serve.FIGURES_HOOK in config["hooks"]


def fake_config(execute: bool):
    jupyter = types.SimpleNamespace(config={"execute": execute})
    return types.SimpleNamespace(plugins={"mkdocs-jupyter": jupyter})


def test_notebooks_are_executed_by_build_and_not_by_serve(monkeypatch):
    monkeypatch.delenv(serve.ENVIRONMENT_VARIABLE, raising=False)
    serve.on_startup(command="build", dirty=False)
    config = serve.on_config(fake_config(execute=True))
    assert config.plugins["mkdocs-jupyter"].config["execute"] is True
    serve.on_startup(command="serve", dirty=False)
    try:
        config = serve.on_config(fake_config(execute=True))
        assert config.plugins["mkdocs-jupyter"].config["execute"] is False
        page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="lab-strides.ipynb"))
        assert serve.on_page_content("<p>x</p>", page, None, None).startswith(serve.NOTE)
        monkeypatch.setenv(serve.ENVIRONMENT_VARIABLE, "1")
        config = serve.on_config(fake_config(execute=True))
        assert config.plugins["mkdocs-jupyter"].config["execute"] is True
    finally:
        serve.on_startup(command="build", dirty=False)


def make_tree(root: Path) -> Path:
    (root / "docs" / "figures").mkdir(parents=True)
    (root / "snippets").mkdir()
    (root / "overrides" / "hooks").mkdir(parents=True)
    (root / "overrides" / "hooks" / "figures.py").write_text("# the hook\n")
    (root / "snippets" / "__init__.py").write_text("")
    (root / "snippets" / "alpha.py").write_text("A = 1\n")
    (root / "snippets" / "beta.py").write_text("B = 2\n")
    script = root / "docs" / "figures" / "alpha.py"
    script.write_text("from snippets.alpha import A\n\ndef plot_a(): ...\n")
    return script


def test_a_figure_is_redrawn_only_when_what_it_reads_changes(tmp_path):
    script = make_tree(tmp_path)
    calls = []

    def draw_all(root: Path) -> dict[str, str]:
        (only,) = (root / "docs" / "figures").glob("*.py")
        assert only.resolve() == script.resolve()
        calls.append(only.name)
        return {f"figures/{only.stem}-a.svg": f"<svg>{len(calls)}</svg>"}

    draw = serve.cached_draw_all(draw_all)
    first = draw(tmp_path)
    (tmp_path / "docs" / "prose.md").write_text("an edit to a page")
    (tmp_path / "snippets" / "beta.py").write_text("B = 3\n")  # not imported by the figure
    assert draw(tmp_path) == first and len(calls) == 1
    (tmp_path / "snippets" / "alpha.py").write_text("A = 2\n")
    assert draw(tmp_path) != first and len(calls) == 2
    assert [p.name for p in serve.imported_snippets(tmp_path, script)] == [
        "__init__.py",
        "alpha.py",
    ]


def test_kernels_get_encrypted_sockets():
    from jupyter_client.manager import KernelManager

    kernels = load_hook("kernels")
    before = KernelManager.transport_encryption.default_value
    try:
        kernels.on_startup(command="build", dirty=False)
        assert KernelManager().transport_encryption == "auto"
    finally:
        KernelManager.transport_encryption.default_value = before
