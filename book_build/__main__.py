"""python -m book_build STEP [FOLDER]: the build's steps over files, without MkDocs.

- ``figures FOLDER``   draw every figure (light and dark SVG) into FOLDER
- ``notebooks FOLDER`` write every chapter's notebook into FOLDER (the workflow
                       publishes them to the ``notebooks`` branch)
- ``font SITE``        cut the math font to the characters of a built site's math
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

from book_build import figures, mathml, notebooks

REPO = Path(__file__).resolve().parents[1]


def _snippet_options() -> dict:
    """pymdownx.snippets' options as mkdocs.yml sets them (its !!python tags skipped)."""
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), loader)
    for extension in config["markdown_extensions"]:
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            return extension["pymdownx.snippets"]
    return {}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"figures", "notebooks", "font"}:
        print(__doc__)
        return 2
    step, folder = argv[0], Path(argv[1])
    if step == "font":
        mathml.write_font(folder)
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    if step == "figures":
        written = figures.draw_all(REPO)
    else:
        site_url = "https://linear-algebra-for-deep-learning.github.io/book/"
        found = notebooks.chapter_notebooks(REPO / "docs", _snippet_options(), site_url)
        written = {f"{Path(uri).stem}.ipynb": nbformat.writes(nb) for uri, nb in found.items()}
    for name, text in written.items():
        path = folder / Path(name).name
        path.write_text(text, encoding="utf-8")
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
