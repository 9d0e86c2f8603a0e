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

from book_build import blocks, figures, mathml, notebooks

REPO = Path(__file__).resolve().parents[1]


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
        # Into the cache too, where the Markdown extension reads the figures' sizes.
        written = figures.draw_all(REPO, REPO / ".cache" / "figures")
    else:
        config = blocks.mkdocs_config(REPO / "mkdocs.yml")
        expand = blocks.snippet_expander(blocks.snippet_options(config))
        found = notebooks.chapter_notebooks(REPO / "docs", expand, config["site_url"])
        written = {f"{Path(uri).stem}.ipynb": nbformat.writes(nb) for uri, nb in found.items()}
    for name, text in written.items():
        path = folder / Path(name).name
        path.write_text(text, encoding="utf-8")
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
