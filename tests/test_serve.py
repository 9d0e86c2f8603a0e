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


def test_a_comment_in_a_snippet_redraws_no_figure(tmp_path):
    script = make_tree(tmp_path)
    before = serve.figure_key(tmp_path, script)
    (tmp_path / "snippets" / "alpha.py").write_text("# why A is one\nA = 1  # the unit\n")
    assert serve.figure_key(tmp_path, script) == before
    (tmp_path / "snippets" / "alpha.py").write_text('"""A, documented."""\nA = 1\n')
    assert serve.figure_key(tmp_path, script) != before


def fake_page(uri: str, renders: list):
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri=uri), links_to_anchors=None)

    def render(config, files):  # what MkDocs' Page.render sets
        renders.append(uri)
        page.content = f"<h1>{len(renders)}</h1>"
        page.toc = [f"toc {len(renders)}"]
        page._title_from_render = f"title {len(renders)}"
        page.present_anchor_ids = {f"anchor-{len(renders)}"}
        page.links_to_anchors = {}

    page.render = render
    return page


def test_a_page_is_converted_again_only_when_what_it_reads_changes(tmp_path):
    (tmp_path / "snippets").mkdir()
    (tmp_path / "docs" / "includes").mkdir(parents=True)
    (tmp_path / "snippets" / "alpha.py").write_text("A = 1\n")
    (tmp_path / "snippets" / "beta.py").write_text("B = 1\n")
    (tmp_path / "docs" / "includes" / "terms.md").write_text('*[A]: a\n--8<-- "snippets/beta.py"\n')
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    config = {
        "config_file_path": str(tmp_path / "mkdocs.yml"),
        "mdx_configs": {"pymdownx.snippets": {"auto_append": ["docs/includes/terms.md"]}},
    }
    files = types.SimpleNamespace(get_file_from_path=lambda uri: uri)
    pages = [types.SimpleNamespace(src_uri="a.md")]

    def key(markdown):
        return serve.page_key(markdown, tmp_path, config, pages)

    markdown = 'Text.\n\n```python\n--8<-- "snippets/alpha.py:part"\n```\n'
    included = serve.included_files(markdown, tmp_path, config)
    assert [p.relative_to(tmp_path).as_posix() for p in included] == [
        "docs/includes/terms.md",
        "snippets/alpha.py",
        "snippets/beta.py",
    ]
    renders: list[str] = []
    serve._rendered.clear()

    def build(markdown):
        page = fake_page("a.md", renders)
        serve.remembered_render(page, key(markdown), page.render)(config, files)
        return page

    first = build(markdown)
    again = build(markdown)  # nothing changed: nothing converted, all restored
    assert renders == ["a.md"]
    assert (again.content, again.toc, again._title_from_render) == (
        first.content,
        first.toc,
        first._title_from_render,
    )
    assert again.present_anchor_ids == first.present_anchor_ids
    (tmp_path / "snippets" / "beta.py").write_text("B = 2\n")  # included through terms.md
    build(markdown)
    (tmp_path / "snippets" / "gamma.py").write_text("C = 1\n")  # included by nothing
    build(markdown)
    build(markdown + "More text.\n")
    assert renders == ["a.md"] * 3


def test_search_entries_are_read_again_only_from_changed_html():
    reads = []

    class Index:  # the part of Material's SearchIndex that the hook uses
        def __init__(self):
            self.entries = []

        def add_entry_from_context(self, page):
            reads.append(page.url)
            self.entries.append({"location": page.url, "text": page.content})

    def page(url, content):
        return types.SimpleNamespace(url=url, title="T", meta={}, content=content)

    serve._indexed.clear()
    indexes = []
    for contents in (["<p>a</p>", "<p>b</p>"], ["<p>a</p>", "<p>b</p>"], ["<p>a</p>", "<p>c</p>"]):
        index = Index()
        serve.remember_search_entries(index)
        index.add_entry_from_context(page("a.html", contents[0]))
        index.add_entry_from_context(page("b.html", contents[1]))
        indexes.append(index.entries)
    assert reads == ["a.html", "b.html", "b.html"]
    assert indexes[0] == indexes[1]  # the same entries, once each
    assert indexes[2] == [
        {"location": "a.html", "text": "<p>a</p>"},
        {"location": "b.html", "text": "<p>c</p>"},
    ]


def test_serve_leaves_out_the_print_page_unless_asked(monkeypatch):
    def config():
        printed = types.SimpleNamespace(config={"enabled": True})
        return types.SimpleNamespace(plugins={"print-site": printed})

    monkeypatch.delenv(serve.PRINT_VARIABLE, raising=False)
    serve.on_startup(command="build", dirty=False)
    assert serve.on_config(config()).plugins["print-site"].config["enabled"] is True
    serve.on_startup(command="serve", dirty=False)
    try:
        assert serve.on_config(config()).plugins["print-site"].config["enabled"] is False
        monkeypatch.setenv(serve.PRINT_VARIABLE, "1")
        assert serve.on_config(config()).plugins["print-site"].config["enabled"] is True
    finally:
        serve.on_startup(command="build", dirty=False)


def test_templates_are_compiled_once_under_serve():
    import jinja2

    loader = jinja2.DictLoader({"page.html": "<p>{{ 6 * 7 }}</p>"})
    compiled = []

    class Counting(jinja2.Environment):
        def _compile(self, source, filename):
            compiled.append(filename)
            return super()._compile(source, filename)

    serve.on_startup(command="serve", dirty=False)
    try:
        for _ in range(2):  # each rebuild makes a new environment
            env = serve.on_env(Counting(loader=loader), None, None)
            assert env.get_template("page.html").render() == "<p>42</p>"
    finally:
        serve.on_startup(command="build", dirty=False)
    assert len(compiled) == 1
    env = serve.on_env(Counting(loader=loader), None, None)  # mkdocs build: no cache
    assert env.bytecode_cache is None
