"""Screenshots of every page, for a person to look at: 1280 and 390 px wide,
light and dark, each the whole page.

Run from the repository root on a built site:

    .venv/bin/mkdocs build -q -d /tmp/site
    .venv/bin/python benchmarks/screenshots.py /tmp/site [--pages tensors einsum ...]

Writes test-artifacts/screenshots/<page>-<width>-<scheme>.png. Solutions and
other tabs stay as a reader first sees them; figures are loaded first, as
scrolling would. The one-page version is left out unless named: it is the
whole book in one image.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from figures import SCHEMES, WIDTHS, chromium_on, show_scheme

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "test-artifacts" / "screenshots"
LOAD_IMAGES = """async () => {
    const images = [...document.querySelectorAll("article img")];
    images.forEach(i => i.loading = "eager");
    await Promise.all(images.filter(i => !i.complete)
        .map(i => new Promise(done => { i.onload = i.onerror = done; })));
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="a built site (mkdocs build -d SITE)")
    parser.add_argument("--pages", nargs="*", help="page names without .html (default: all)")
    args = parser.parse_args()
    names = (
        [f"{p}.html" for p in args.pages]
        if args.pages
        else sorted(p.name for p in args.site.glob("*.html") if p.name != "print_page.html")
    )
    OUT.mkdir(parents=True, exist_ok=True)
    with chromium_on(args.site) as (browser, base):
        for width in WIDTHS:
            tab = browser.new_page(viewport={"width": width, "height": 900})
            for name in names:
                tab.goto(f"{base}/{name}", wait_until="networkidle")
                tab.evaluate(LOAD_IMAGES)
                for scheme in SCHEMES:
                    show_scheme(tab, scheme)
                    shot = OUT / f"{Path(name).stem}-{width}-{scheme}.png"
                    tab.screenshot(path=str(shot), full_page=True)
                    print(shot.relative_to(REPO), flush=True)
            tab.close()


if __name__ == "__main__":
    main()
